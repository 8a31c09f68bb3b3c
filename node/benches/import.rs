//! What a schedule import costs on a node: a five-day `schedule.xml` of 100
//! events in 4 rooms with 40 persons, imported into a fresh festival (144
//! documents signed in one transaction), then the same file again (nothing
//! to do). `cargo bench -p lineup-node --bench import`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)] // a benchmark fails by panicking

use std::time::{Duration, Instant};

use jiff::Timestamp;
use lineup_node::festival::{found, import_schedule, FestivalDetails};
use lineup_node::node::Node;

/// `days` days from 2027-07-05 with `rooms` rooms of `per_room` one-hour
/// events a day, each with two of 40 persons.
fn schedule_xml(days: usize, rooms: usize, per_room: usize) -> String {
    let mut xml = String::from(
        "<?xml version='1.0' encoding='utf-8' ?>\n<schedule><version>1</version><conference>\
         <acronym>bench</acronym><title>Bench</title><time_zone_name>Europe/Berlin</time_zone_name></conference>\n",
    );
    let mut event = 0;
    for day in 1..=days {
        let date = format!("2027-07-{:02}", day + 4);
        xml.push_str(&format!("<day index='{day}' date='{date}'>\n"));
        for room in 1..=rooms {
            xml.push_str(&format!("<room name='Room {room}'>\n"));
            for slot in 0..per_room {
                event += 1;
                let hour = 10 + slot * 2;
                let (first, second) = (event % 40 + 1, (event + 7) % 40 + 1);
                xml.push_str(&format!(
                    "<event guid='00000000-0000-4000-8000-{event:012}' id='{event}'>\
                     <date>{date}T{hour:02}:00:00+02:00</date><start>{hour:02}:00</start><duration>01:00</duration>\
                     <room>Room {room}</room><title>Event {event}</title><type>Talk</type>\
                     <abstract>About event {event}.</abstract><track>Track {room}</track><persons>\
                     <person id='{first}'>Person {first}</person><person id='{second}'>Person {second}</person>\
                     </persons></event>\n"
                ));
            }
            xml.push_str("</room>\n");
        }
        xml.push_str("</day>\n");
    }
    xml + "</schedule>\n"
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let file = schedule_xml(5, 4, 5);
    let (mut first, mut again) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(async {
            let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
            let details = FestivalDetails {
                name: "Bench".into(),
                description: String::new(),
                place: String::new(),
                start: Timestamp::from_second(1_814_767_200).unwrap(),
                end: Timestamp::from_second(1_815_199_200).unwrap(),
                time_zone: "Europe/Berlin".into(),
            };
            let festival = found(&node, details).await.unwrap().festival;
            let started = Instant::now();
            let imported = import_schedule(&node, festival, &file).await.unwrap();
            first.push(started.elapsed());
            assert_eq!(imported.created, 144);
            let started = Instant::now();
            let imported = import_schedule(&node, festival, &file).await.unwrap();
            again.push(started.elapsed());
            assert_eq!((imported.created, imported.updated), (0, 0));
            node.stop().await.unwrap();
        });
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    println!(
        "import of 100 events (144 documents): median {:.1} ms, slowest {:.1} ms; again (no changes): median {:.1} ms",
        median(&mut first).as_secs_f64() * 1e3,
        first.last().unwrap().as_secs_f64() * 1e3,
        median(&mut again).as_secs_f64() * 1e3,
    );
}
