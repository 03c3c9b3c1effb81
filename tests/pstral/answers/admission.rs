//! Who may talk to the bot and use its commands: strangers refused politely
//! (and told only so often), an invite code that links an account, and a
//! thread's conversation exported or switched only by those who asked in it.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_refused_politely_and_commands_work() {
    let fake = FakeModel::start(&[MODEL]).await;
    let h = Harness::new(&[fake.url()], Options::default()).await;
    h.ask(99, "Bonjour ?").await;
    let refusal = h.answers().remove(0).1;
    assert!(
        refusal.contains("the IT desk") && refusal.contains("link CODE"),
        "{refusal}"
    );
    assert!(
        fake.requests().is_empty(),
        "no question of a stranger reaches the model"
    );

    // A channel's default mode is everyone's: an executor may not change it
    // (the reply says so, and nothing changes); an admin may, and the reply
    // says it is the channel's.
    let mode = |author| InboundEvent::Command {
        in_reply_to: None,
        author,
        place: channel(),
        message: None,
        command: Command::Mode("chat".into()),
    };
    h.bot.handle(h.platform.clone(), mode(who(1))).await;
    let refused = h.answers().last().unwrap().1.clone();
    assert!(
        refused.contains("Only an admin") && refused.contains("`/mode`"),
        "{refused}"
    );
    h.person(4, "dana", Role::Admin).await;
    h.bot.handle(h.platform.clone(), mode(who(4))).await;
    assert!(
        h.answers()
            .last()
            .unwrap()
            .1
            .contains("Mode set to chat for this channel")
    );
    h.ask(1, "Une question libre").await;
    let system = fake.requests()[0]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !system.contains("Oracle SQL SELECT statement"),
        "chat mode's prompt: {system}"
    );

    let export = InboundEvent::Command {
        in_reply_to: None,
        author: who(1),
        place: channel(),
        message: None,
        command: Command::Export(String::new()),
    };
    h.bot.handle(h.platform.clone(), export).await;
    let attached = h
        .platform
        .actions()
        .into_iter()
        .find_map(|a| match a.action {
            OutboundAction::Attach { attachment, .. } => Some(attachment),
            _ => None,
        });
    let attached = attached.expect("the export is attached");
    let markdown = String::from_utf8(attached.bytes).unwrap();
    assert!(attached.file_name.ends_with(".md"));
    assert!(
        markdown.contains("## ana")
            && markdown.contains("Une question libre")
            && markdown.contains("## Pstral"),
        "{markdown}"
    );

    let link_in_channel = InboundEvent::Command {
        in_reply_to: None,
        author: who(99),
        place: channel(),
        message: None,
        command: Command::Link("ABCDE-FGHJK".into()),
    };
    h.bot.handle(h.platform.clone(), link_in_channel).await;
    assert!(h.answers().last().unwrap().1.contains("direct message"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_sent_alone_in_a_dm_links_and_never_reaches_the_model() {
    let fake = FakeModel::start(&[MODEL]).await;
    let h = Harness::new(&[fake.url()], Options::default()).await;
    h.directory
        .add_user("erin", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let code = h
        .directory
        .create_invite("erin", &who(77), Actor::cli())
        .await
        .unwrap()
        .code;
    let dm = Place {
        platform: "discord".parse().unwrap(),
        channel: "dm-77".to_owned(),
        thread: None,
        private: true,
    };
    let message = InboundEvent::Message {
        author: who(77),
        message: MessageRef {
            place: dm.clone(),
            id: "m77".to_owned(),
        },
        in_reply_to: None,
        // Written loosely, as a person types it.
        text: format!(" {} ", code.to_lowercase().replace('-', " ")),
    };
    h.bot.handle(h.platform.clone(), message).await;
    assert!(
        h.answers().last().unwrap().1.contains("now linked to erin"),
        "{:?}",
        h.answers()
    );
    assert!(
        fake.requests().is_empty(),
        "the code never reached the model"
    );
    assert!(
        h.audited("question").await.is_empty(),
        "nor the audit of questions"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threads_conversation_is_exported_or_switched_only_by_those_who_asked_in_it() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer("Private figures."));
    let h = Harness::new(&[fake.url()], Options::default()).await;
    let thread = Place {
        thread: Some("t-1".to_owned()),
        ..channel()
    };
    let asked = InboundEvent::Message {
        author: who(1),
        message: MessageRef {
            place: thread.clone(),
            id: "m-1".to_owned(),
        },
        in_reply_to: None,
        text: "what are our margins?".to_owned(),
    };
    h.bot.handle(h.platform.clone(), asked).await;
    let attached = |h: &Harness| {
        h.platform
            .actions()
            .into_iter()
            .filter(|a| matches!(a.action, OutboundAction::Attach { .. }))
            .count()
    };
    // carl, a viewer who never asked there, replies in the thread.
    for command in [Command::Export("json".into()), Command::Mode("chat".into())] {
        let event = InboundEvent::Command {
            in_reply_to: None,
            author: who(3),
            place: thread.clone(),
            message: None,
            command,
        };
        h.bot.handle(h.platform.clone(), event).await;
        assert!(
            h.answers()
                .last()
                .unwrap()
                .1
                .contains("belongs to the people who asked in it")
        );
    }
    assert_eq!(attached(&h), 0, "nothing exported for carl");
    let changed = h.audited("conversation_changed").await;
    assert!(changed.is_empty(), "{changed:#?}");
    // ana, who asked, can.
    let export = InboundEvent::Command {
        in_reply_to: None,
        author: who(1),
        place: thread.clone(),
        message: None,
        command: Command::Export("json".into()),
    };
    h.bot.handle(h.platform.clone(), export).await;
    assert_eq!(attached(&h), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_knocking_again_and_again_is_told_three_times_then_quietly_refused() {
    let fake = FakeModel::start(&[MODEL]).await;
    let h = Harness::new(&[fake.url()], Options::default()).await;
    for _ in 0..6 {
        h.ask(99, "let me in").await;
    }
    let told = h
        .answers()
        .iter()
        .filter(|(_, t)| t.contains("IT desk"))
        .count();
    assert_eq!(told, 3, "{:?}", h.answers());
    let refused = h.audited("access_refused").await;
    assert_eq!(
        refused
            .iter()
            .filter(|r| r["reason"] == "unknown_identity")
            .count(),
        3
    );
    assert!(fake.requests().is_empty());
}
