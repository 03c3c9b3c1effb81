//! Follow-ups: a reply changes the plan it follows and keeps the rest, a
//! reply naming nothing of the definitions is a new question, and in a
//! thread a question without a subject follows the last plan.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_in_reply_changes_the_plan_it_follows_and_keeps_the_rest() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(LYON_LATE));
    fake.then(Script::answer(&LYON_LATE.replace("Lyon", "Paris")));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Quels clients à Lyon ont des paiements en retard ?")
        .await;
    let (first, _) = reading(&h, 0);
    let follow_up = h.question(1, "et à Paris ?", Some(&first.id));
    h.bot.handle(h.platform.clone(), follow_up).await;

    // The model is given the earlier question and its plan, then the
    // follow-up, and may write what either named.
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "no free SQL asked for");
    let messages = requests[1]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert_eq!(
        messages[1]["content"],
        "Quels clients à Lyon ont des paiements en retard ?"
    );
    assert_eq!(messages[2]["role"], "assistant");
    let earlier = messages[2]["content"].as_str().unwrap();
    assert!(
        earlier.contains("late_payment") && earlier.contains("Lyon"),
        "{earlier}"
    );
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .starts_with("et à Paris ?"),
        "{messages:#?}"
    );
    let schema = &requests[1]["format"]["properties"];
    assert!(
        schema["segments"].to_string().contains("late_payment"),
        "the earlier question's segment is still offered: {schema}"
    );
    let (_, answer) = reading(&h, 1);
    assert!(
        answer.contains("paiement en retard") && answer.contains("ville est Paris"),
        "{answer}"
    );
    assert!(
        answer.starts_with(
            "↪ Lue avec la question d'avant : “Quels clients à Lyon ont des paiements en retard ?”"
        ),
        "said to be read as a follow-up: {answer}"
    );
    assert!(offered(&h));
    let recorded = h.audited("answer").await;
    assert_eq!(
        recorded.last().unwrap()["follows"],
        "Quels clients à Lyon ont des paiements en retard ? — et à Paris ?"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_names_nothing_of_the_definitions_is_a_new_question() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(LYON_LATE));
    fake.then(Script::answer(r#"{"kind": "none"}"#));
    fake.then(Script::answer("Avec plaisir."));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Quels clients à Lyon ont des paiements en retard ?")
        .await;
    let (first, _) = reading(&h, 0);
    let thanks = h.question(1, "merci beaucoup", Some(&first.id));
    h.bot.handle(h.platform.clone(), thanks).await;
    let requests = fake.requests();
    let plan_asked = requests[1]["messages"].as_array().unwrap();
    assert_eq!(plan_asked.len(), 2, "no earlier plan: {plan_asked:#?}");
    assert_eq!(plan_asked[1]["content"], "merci beaucoup");
    let recorded = h.audited("answer").await;
    assert!(recorded.last().unwrap()["follows"].is_null());
}

/// A question in thread `t1`, as `author` asks it, without replying to
/// anything.
fn in_thread(author: u64, text: &str, n: u64) -> pstral_chat::InboundEvent {
    pstral_chat::InboundEvent::Message {
        author: crate::answers::who(author),
        message: pstral_chat::MessageRef {
            place: pstral_chat::Place {
                thread: Some("t1".to_owned()),
                ..crate::answers::channel()
            },
            id: format!("t{n}"),
        },
        in_reply_to: None,
        text: text.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_thread_a_question_without_a_subject_follows_the_last_plan_and_others_do_not() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(LYON_LATE));
    fake.then(Script::answer(&LYON_LATE.replace("Lyon", "Paris")));
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["mrr"], "dimensions": [{"name": "contract_product", "grain": "none"}]}"#,
    ));
    fake.then(Script::answer(LYON_LATE));
    let (_demo, h) = bot_with_definitions(&fake).await;
    let ask = |author, text: &str, n| {
        let event = in_thread(author, text, n);
        let (bot, platform) = (h.bot.clone(), h.platform.clone());
        async move { bot.handle(platform, event).await }
    };
    ask(1, "Quels clients à Lyon ont des paiements en retard ?", 1).await;
    // No subject of its own: it follows the thread's last plan.
    ask(1, "et à Paris ?", 2).await;
    // A question of its own, in the same thread: a new question.
    ask(1, "What's our MRR by product?", 3).await;
    // Another person's follow-up does not take the asker's plan.
    ask(2, "et à Lyon ?", 4).await;
    let requests = fake.requests();
    let turns = |i: usize| requests[i]["messages"].as_array().unwrap().len();
    assert_eq!(
        (turns(0), turns(1), turns(2), turns(3)),
        (2, 4, 2, 2),
        "{requests:#?}"
    );
}
