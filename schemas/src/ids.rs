//! The festival schema ids, written by `tools/schema-lock` from
//! `schemas.lock`: do not edit.

/// Every version of every festival schema, oldest first: a schema's
/// last version is its current one.
pub const VERSIONS: &[&str] = &[
    "festival_0020ffee0d94484ccee645bdfff203a3ca384fe80318379709dc0c3d8947bcacda1e",
    "area_00209c1e97cc97badfdd374c2471dad9f7a796715d6f157ad2d1ddc12634fe72d868",
    "artist_0020b5ce2ac9045a01ec00d7f95bb60db9cd5a23f4765c590eb3cd1c624aefcc9533",
    "slot_002018d265e163064234580efb5e65fe06a6141fab67d44ded89cbc3648cd430d94f",
    "shift_0020cec080d62e74cd7dd2fb111130c4d6d0285ed4b3b9ce0ca24482f90d02d539ff",
    "shift_signup_0020e412654a84bee98c9dbedfacc70ddc13918c05c5eb247157c252f3e076a28cb3",
    "task_00203b494c25c779b0c596aa1dda5b1863c9b687c043a46cdbc2ba76e35b6446d77f",
    "resource_0020bc8a4fe35299c85f6d2a37c004f6f836e4f86a3f2bbc70e62652ebf58c491566",
    "booking_0020827b06c226a7dd14d2773f77c131b760c4cf3ad80c44270bda74c080647557fa",
    "announcement_0020cb2a8aade7e14afaef4a78d0bab616b57fdfd200367808b96c8274a152652f47",
    "profile_00208ce2529190cfeeecaaa30368a118fefb23f8963aa37c384e21e928844f3675fd",
    "channel_00206fb8c551a427d583f39117731ff6cea7196959febd036057bed0ea675325cae5",
    "channel_commit_0020d8b5eb8b42e96929971d35fc606f43b4dc3ed0beda25975ff2244ae054fce79b",
    "key_package_00206835f0a08e79c2dfe141f7279974c553f15145ed22dd0225e928fcff4fbfb664",
    "channel_message_0020766bead86c69e85df397c969e2bb5df8e29932c9a7b4e4a7d88a2b21c2fe0e26",
];
