//! Tasks: what needs doing, by whom, by when; done or not.

use leptos::prelude::*;
use lineup_schemas::model::{Stored, Task};
use lineup_schemas::Kind;

use crate::actions;
use crate::components::{AreaOptions, Doing, DoingNote, Empty, Reason};
use crate::context::{use_node, use_open};
use crate::time;

/// Open tasks first, by due time; then the done ones.
#[component]
pub fn Tasks() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let list = move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        if data.tasks.is_empty() {
            return Some(
                view! { <Empty title="No tasks yet" hint="Crew leads and organisers add tasks below." /> }
                    .into_any(),
            );
        }
        let mut tasks: Vec<Stored<Task>> = data.tasks.clone();
        tasks.sort_by_key(|task| (task.done, task.due.is_none(), task.due, task.id));
        let can_change = open.cannot_lead().is_none();
        let me = node
            .me
            .with(|me| me.ready().filter(|me| me.owner).map(|me| me.public_key));
        Some(view! {
            <ul class="tasks">
                {tasks.into_iter().map(|task| {
                    let doing = Doing::new();
                    let id = task.id;
                    let done = task.done;
                    let current = move || open.get_untracked().and_then(|data| data.tasks.iter().find(|task| task.id == id).cloned());
                    let toggle = move |_| doing.change(node.client(), current(), |task: &mut Task| task.done = !done);
                    let take = move |_| doing.change(node.client(), current(), |task: &mut Task| task.assignee = me);
                    let remove = move |_| {
                        let client = node.client();
                        doing.run(async move { actions::delete(&client, Kind::Task, id).await }, |_| ());
                    };
                    let assignee = task.assignee.map(|person| format!("for {}", data.name_of(&person)));
                    let mine = me.is_some() && task.assignee == me;
                    view! {
                        <li class="task" class:done=done>
                            <label class="check">
                                <input type="checkbox" prop:checked=done disabled=!can_change on:change=toggle />
                                <span class="what">{task.title.clone()}</span>
                            </label>
                            <span class="hint">
                                {task.due.map(|due| format!("due {} ", time::day_and_clock(due, &zone)))}
                                {task.area.map(|area| format!("at {} ", data.area_name(&area)))}
                                {assignee}
                            </span>
                            <p class="description">{task.description.clone()}</p>
                            {(can_change && !mine && me.is_some()).then(|| view! { <button class="quiet" on:click=take>"Take it"</button> })}
                            {can_change.then(|| view! { <button class="quiet" on:click=remove>"Delete"</button> })}
                            <DoingNote doing />
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any())
    };
    view! {
        <div class="tasks-page">
            {list}
            <NewTask />
        </div>
    }
}

#[component]
fn NewTask() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (title, description, due, area) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let doing = Doing::new();
    let cannot_lead = Signal::derive(move || open.cannot_lead());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(data) = open.get_untracked() else { return };
        if title.get_untracked().trim().is_empty() {
            return doing.refuse("say what needs doing");
        }
        let task = Task {
            festival: open.id,
            title: title.get_untracked().trim().to_owned(),
            description: description.get_untracked(),
            area: data
                .areas
                .iter()
                .find(|candidate| candidate.id.to_string() == area.get_untracked())
                .map(|area| area.id),
            assignee: None,
            due: time::from_input(&due.get_untracked(), &data.festival.zone()),
            done: false,
        };
        let client = node.client();
        doing.run(async move { actions::create(&client, &task).await }, move |_| {
            title.set(String::new());
            description.set(String::new());
        });
    };
    view! {
        <Show when=move || open.owner.get()>
        <form class="panel" on:submit=submit>
            <h2>"Add a task"</h2>
            <Reason reason=cannot_lead />
            <fieldset disabled=move || cannot_lead.get().is_some()>
                <label>"Task" <input name="task_title" bind:value=title /></label>
                <div class="row">
                    <label>"Due" <input name="task_due" type="datetime-local" bind:value=due /></label>
                    <label>"Where" <select name="task_area" bind:value=area><option value="">"Anywhere"</option><AreaOptions /></select></label>
                </div>
                <label>"Details" <textarea name="task_description" bind:value=description></textarea></label>
                <button type="submit" disabled=move || doing.pending.get()>"Add task"</button>
            </fieldset>
            <DoingNote doing />
        </form>
        </Show>
    }
}
