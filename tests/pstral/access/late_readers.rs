//! Readers who join a place while a query runs or after its preview, or
//! read its history back later, get none of the rows they may not read.

use super::*;

/// The demo CRM hiding the clients' revenue from sales, its runs held by a
/// [`Gated`]; carl (3) is in sales.
async fn gated_with_groups(
    fake: &FakeModel,
    rules: Option<Rules>,
) -> (crate::execute::Demo, Arc<Gated>, Harness) {
    let mut demo = demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    if let Some(rules) = rules {
        demo.runtime.readers.rules = Arc::new(rules);
    }
    let gate = Gated::around(demo.executor().await);
    demo.runtime.executor = Account::new(gate.clone());
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    (demo, gate, h)
}

/// What went to the place as files, and what went to `to` alone.
fn files_in_place_and_to(h: &Harness, to: u64) -> (Vec<String>, Vec<String>) {
    let mut here = Vec::new();
    let mut private = Vec::new();
    for a in h.platform.actions() {
        match a.action {
            OutboundAction::Attach { attachment, .. } => here.push(attachment.file_name),
            OutboundAction::ReplyPrivately {
                to: t, attachments, ..
            } if t == who(to) => {
                private.extend(attachments.into_iter().map(|a| a.file_name));
            }
            _ => {}
        }
    }
    (here, private)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_who_joins_while_the_query_runs_gets_none_of_its_rows() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, gate, h) = gated_with_groups(&fake, None).await;
    // Everyone who reads the place at the click may read the revenue.
    h.platform.set_audience("1100", vec![who(1), who(2)]);
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    let carl_joins = async {
        gate.started(1).await;
        h.platform
            .set_audience("1100", vec![who(1), who(2), who(3)]);
        gate.release();
    };
    tokio::join!(click(&h, 2), carl_joins);
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        !in_place.iter().any(|t| t.contains("```text")),
        "no rows in the place: {in_place:#?}"
    );
    let note = in_place
        .iter()
        .find(|t| t.contains("were sent privately"))
        .expect("the place is told where the results went");
    assert!(note.contains("clients.annual_revenue"), "{note}");
    assert!(
        !in_place.iter().any(|t| t.contains("Running query")),
        "the progress message now says where they went: {in_place:#?}"
    );
    let private = h.said_privately(2);
    assert!(
        private
            .last()
            .is_some_and(|t| t.contains("visible to you only") && t.contains("annual_revenue")),
        "bob has the rows privately: {private:#?}"
    );
    let (here, theirs) = files_in_place_and_to(&h, 2);
    assert!(here.is_empty(), "no file in the place: {here:?}");
    assert!(
        theirs.iter().any(|f| f.ends_with(".csv")) && theirs.iter().any(|f| f.ends_with(".xlsx")),
        "{theirs:?}"
    );
    // The click saw a place everyone could read; the posting did not.
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["private"], false);
    assert_eq!(requested[0]["readers"]["count"], 1, "{:#}", requested[0]);
    let posted = h.audited("result_posted").await;
    assert_eq!(posted[0]["redirected"]["rule"], "clients.annual_revenue");
    assert_eq!(posted[0]["redirected"]["at"], "preview");
    assert_eq!(posted[0]["parts"][0]["to"], "clicker", "{:#}", posted[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_who_joins_after_the_preview_gets_no_file_and_the_rest_goes_privately() {
    use pstral_chat::Audience;
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, gate, h) = gated_with_groups(&fake, None).await;
    gate.release();
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    // Asked at the click, then before the preview: ana and bob; before
    // the first file, carl too.
    let before = Audience::closed(vec![who(1), who(2)]);
    let after = Audience::closed(vec![who(1), who(2), who(3)]);
    h.platform
        .script_audiences("1100", vec![before.clone(), before]);
    h.platform.set_audience_of("1100", after);
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        in_place.iter().any(|t| t.contains("```text")),
        "the preview was posted while only ana and bob read the place: {in_place:#?}"
    );
    let (here, theirs) = files_in_place_and_to(&h, 2);
    assert!(
        here.is_empty(),
        "no file once carl reads the place: {here:?}"
    );
    assert!(theirs.iter().any(|f| f.ends_with(".csv")), "{theirs:?}");
    assert!(
        in_place.iter().any(|t| t.contains("were sent privately")),
        "{in_place:#?}"
    );
    let posted = h.audited("result_posted").await;
    let parts = posted[0]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["part"], "preview");
    assert_eq!(parts[0]["to"], "place");
    assert_eq!(
        parts[0]["readers"]["listed"],
        serde_json::json!(["discord:1"])
    );
    assert!(parts[0]["read_ms"].is_u64(), "{parts:#?}");
    assert_eq!(parts[1]["to"], "clicker", "{parts:#?}");
    assert_ne!(posted[0]["redirected"]["at"], "preview");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_later_readers_read_back_gets_no_hidden_rows_unless_an_admin_closed_it() {
    use pstral_chat::Audience;
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, gate, h) = gated_with_groups(&fake, None).await;
    gate.release();
    // Only bob reads it, but whoever is let in later reads its history.
    h.platform
        .set_audience_of("1100", Audience::open(vec![who(2)]));
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        !in_place.iter().any(|t| t.contains("```text")),
        "{in_place:#?}"
    );
    assert!(
        in_place
            .iter()
            .any(|t| t.contains("let in later") && t.contains("clients.annual_revenue")),
        "{in_place:#?}"
    );
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["redirected"]["later"], true);

    // What no group hides is shown there all the same.
    fake.then(Script::answer(
        "```sql\nSELECT company FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    h.ask(2, "Les clients de Lyon ?").await;
    gate.release();
    click(&h, 2).await;
    assert!(
        h.answers().iter().any(|(_, t)| t.contains("```text")),
        "shown in the place"
    );

    // Marked closed by an admin: the revenue is shown there too.
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let mut closed = rules(&[("sales", &["clients.annual_revenue"])]);
    closed.closed_places = vec![("discord".to_owned(), "1100".to_owned())];
    let (_demo, gate, h) = gated_with_groups(&fake, Some(closed)).await;
    gate.release();
    h.platform
        .set_audience_of("1100", Audience::open(vec![who(2)]));
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        in_place
            .iter()
            .any(|t| t.contains("```text") && t.contains("annual_revenue")),
        "{in_place:#?}"
    );
}
