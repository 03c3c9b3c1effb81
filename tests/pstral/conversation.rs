//! Conversations and their bounded history on both backends.

use pstral_chat::Place;
use pstral_core::conversation::{Conversations, Mode, NewMessage, Speaker};

use crate::on_both_backends;
use crate::support::TestDb;

fn channel() -> Place {
    Place {
        platform: "discord".parse().unwrap(),
        channel: "1100".to_owned(),
        thread: None,
        private: false,
    }
}

fn said<'a>(speaker: Speaker, content: &'a str, platform_id: Option<&'a str>) -> NewMessage<'a> {
    NewMessage {
        speaker,
        user_id: None,
        platform_message_id: platform_id,
        content,
    }
}

async fn a_thread_is_one_conversation(db: TestDb) {
    let convs = Conversations::new(db.store.clone());
    let first = convs
        .find_or_start(&channel(), "m1", Mode::Sql, None)
        .await
        .unwrap();
    let again = convs
        .find_or_start(&channel(), "m1", Mode::Chat, None)
        .await
        .unwrap();
    assert_eq!(first, again, "the second message joins, and keeps the mode");
    assert_eq!(first.mode, Mode::Sql);
    let other = convs
        .find_or_start(&channel(), "m2", Mode::Chat, None)
        .await
        .unwrap();
    assert_ne!(other.id, first.id);

    convs.set_mode(first.id, Mode::Chat).await.unwrap();
    assert_eq!(convs.get(first.id).await.unwrap().unwrap().mode, Mode::Chat);
    assert_eq!(convs.get(-1).await.unwrap(), None);
}

async fn history_is_the_last_messages_oldest_first(db: TestDb) {
    let convs = Conversations::new(db.store.clone());
    let c = convs
        .find_or_start(&channel(), "m1", Mode::Chat, None)
        .await
        .unwrap();
    for i in 0..15 {
        let text = format!("question {i}");
        convs
            .append(c.id, said(Speaker::User, &text, None))
            .await
            .unwrap();
        let answer = format!("answer {i}");
        let bot_id = format!("bot-{i}");
        convs
            .append(c.id, said(Speaker::Assistant, &answer, Some(&bot_id)))
            .await
            .unwrap();
    }
    let history = convs.history(c.id, 10).await.unwrap();
    let texts: Vec<&str> = history.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts.len(), 10);
    assert_eq!(texts[0], "question 10");
    assert_eq!(texts[9], "answer 14");
    assert_eq!(history[9].speaker, Speaker::Assistant);

    let by_reply = convs.find_by_message(&channel(), "bot-3").await.unwrap();
    assert_eq!(by_reply.map(|c| c.id), Some(c.id));
    let elsewhere = Place {
        channel: "other".into(),
        ..channel()
    };
    assert_eq!(
        convs.find_by_message(&elsewhere, "bot-3").await.unwrap(),
        None
    );
}

async fn messages_of_two_threads_arriving_together_do_not_collide(db: TestDb) {
    let convs = Conversations::new(db.store.clone());
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let convs = convs.clone();
            tokio::spawn(async move {
                let root = if i % 2 == 0 { "even" } else { "odd" };
                convs
                    .find_or_start(&channel(), root, Mode::Sql, None)
                    .await
                    .unwrap()
                    .id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2);
}

/// Retention: a conversation whose last message is older than the cut goes
/// (with its messages); one still written in stays, however old its start;
/// the removal is audited.
async fn conversations_past_their_retention_are_removed_and_the_removal_audited(db: TestDb) {
    let conversations = Conversations::new(db.store.clone());
    let old = conversations
        .find_or_start(&channel(), "old-thread", Mode::Sql, None)
        .await
        .unwrap();
    conversations
        .append(old.id, said(Speaker::User, "long ago", Some("m1")))
        .await
        .unwrap();
    let live = conversations
        .find_or_start(&channel(), "live-thread", Mode::Sql, None)
        .await
        .unwrap();
    let cut = chrono::Utc::now() + chrono::Duration::milliseconds(1);
    // Written in after the cut: kept, though it started before.
    while chrono::Utc::now() <= cut {
        tokio::task::yield_now().await;
    }
    conversations
        .append(live.id, said(Speaker::User, "still here", Some("m2")))
        .await
        .unwrap();
    let removed = conversations
        .prune(cut, pstral_core::audit::Actor::default())
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert!(conversations.history(old.id, 10).await.unwrap().is_empty());
    assert_eq!(conversations.history(live.id, 10).await.unwrap().len(), 1);
    let audited = crate::support::audited(
        &pstral_core::audit::Audit::new(db.store.clone()),
        "conversation_changed",
    )
    .await;
    assert_eq!(audited.last().unwrap()["action"], "pruned");
    assert_eq!(audited.last().unwrap()["conversations"], 1);
    // Nothing more to remove: nothing more audited.
    assert_eq!(
        conversations
            .prune(cut, pstral_core::audit::Actor::default())
            .await
            .unwrap(),
        0
    );
}

on_both_backends!(
    conversations_past_their_retention_are_removed_and_the_removal_audited,
    a_thread_is_one_conversation,
    history_is_the_last_messages_oldest_first,
    messages_of_two_threads_arriving_together_do_not_collide,
);
