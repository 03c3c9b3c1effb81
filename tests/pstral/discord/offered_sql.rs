//! SQL offered under an answer on Discord: who may Execute it, where its
//! rows, chart and files go when some who view the channel may not read
//! them, a masked link shown as text, and plans asked back with buttons.

use super::*;

/// Whether one of the bot's messages in the channel holds `text`.
fn bot_said(d: &FakeDiscord, text: &str) -> bool {
    d.bot_messages_in(CHANNEL)
        .iter()
        .any(|m| m["content"].as_str().unwrap().contains(text))
}

const SQL_ANSWER: &str =
    "Voici :\n```sql\nSELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company\n```";

async fn with_sql(ollama: &FakeModel) -> (crate::execute::Demo, Connected) {
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let c = Connected::new(ollama, options).await;
    (demo, c)
}

/// Asks for SQL and returns the answer's message once Execute is on it.
async fn offered(c: &Connected) -> (Value, String) {
    c.discord
        .say(ANA, CHANNEL, &format!("<@{BOT}> clients à Lyon"), true);
    let answer = c.nth_bot_message(CHANNEL, 0).await;
    let id = id_of(&answer);
    c.discord
        .wait_until("the Execute button", |d| {
            d.message(id)
                .is_some_and(|m| m["components"].to_string().contains("\"px:1:"))
        })
        .await;
    let message = c.discord.message(id).unwrap();
    let custom_id = message["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|b| b["custom_id"].as_str().filter(|id| id.starts_with("px:")))
        .unwrap()
        .to_owned();
    (message, custom_id)
}

fn ephemeral_followups(c: &Connected, token: &str) -> Vec<String> {
    c.discord
        .calls_to("POST", &format!("/webhooks/{APP}/{token}"))
        .into_iter()
        .filter(|k| k.body["flags"].as_u64().unwrap_or(0) & 64 != 0)
        .filter_map(|k| k.body["content"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_by_an_executor_is_deferred_at_once_and_returns_the_table_and_files() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let (_demo, c) = with_sql(&ollama).await;
    let (message, custom_id) = offered(&c).await;
    let clicked = tokio::time::Instant::now();
    let token = c.discord.click(ANA, id_of(&message), &custom_id);
    c.discord
        .wait_until("the click acknowledged", |d| {
            !d.calls_to("POST", &format!("/{token}/callback")).is_empty()
        })
        .await;
    let ack = &callbacks(&c, &token)[0];
    assert_eq!(ack.body["type"], 6, "a deferred update");
    let within = ack.at.saturating_duration_since(clicked);
    assert!(within < Duration::from_secs(3), "{within:?}");
    c.discord
        .wait_until("the result files", |d| {
            d.calls_to("POST", &format!("/channels/{CHANNEL}/messages"))
                .iter()
                .filter(|k| !k.files.is_empty())
                .count()
                == 2
        })
        .await;
    let files: Vec<(String, Vec<u8>)> = c
        .discord
        .calls_to("POST", &format!("/channels/{CHANNEL}/messages"))
        .into_iter()
        .flat_map(|k| k.files)
        .collect();
    let csv = files.iter().find(|(n, _)| n.ends_with(".csv")).unwrap();
    assert!(String::from_utf8_lossy(&csv.1).contains("Lyon"));
    assert!(files.iter().any(|(n, _)| n.ends_with(".xlsx")));
    c.discord
        .wait_until("the preview", |d| bot_said(d, "```text"))
        .await;
    c.handled(2).await;
    assert_eq!(c.h.audited("execute_result").await.len(), 1);
    c.disconnect().await;
}

/// A result that calls for a chart: the PNG is attached where the table
/// goes, with its description as Discord's alt text, and it decodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_chart_is_attached_with_its_description() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(
        "Voici :\n```sql\nSELECT status AS statut, count(*) AS contrats FROM contracts \
         GROUP BY status ORDER BY contrats DESC\n```",
    ));
    let (_demo, c) = with_sql(&ollama).await;
    let (message, custom_id) = offered(&c).await;
    c.discord.click(ANA, id_of(&message), &custom_id);
    c.discord
        .wait_until("the chart and the files", |d| {
            d.calls_to("POST", &format!("/channels/{CHANNEL}/messages"))
                .iter()
                .filter(|k| !k.files.is_empty())
                .count()
                == 3
        })
        .await;
    let posted = c
        .discord
        .calls_to("POST", &format!("/channels/{CHANNEL}/messages"));
    let chart = posted
        .iter()
        .find(|k| k.files.iter().any(|(n, _)| n.ends_with(".png")))
        .expect("a chart");
    let (width, height, _) = crate::charts::decoded(&chart.files[0].1);
    assert_eq!((width, height), (960, 540));
    let shown = c
        .discord
        .bot_messages_in(CHANNEL)
        .into_iter()
        .flat_map(|m| m["attachments"].as_array().cloned().unwrap_or_default())
        .find(|a| a["filename"].as_str().is_some_and(|n| n.ends_with(".png")))
        .expect("the chart's message");
    assert!(
        shown["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Bar chart of contrats by statut, 4 bars")),
        "{shown}"
    );
    c.handled(2).await;
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_by_a_viewer_or_with_a_forged_id_runs_nothing_and_says_so_privately() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let (_demo, c) = with_sql(&ollama).await;
    let (message, custom_id) = offered(&c).await;

    let token = c.discord.click(CARL, id_of(&message), &custom_id);
    c.discord
        .wait_until("the viewer told privately", |d| {
            !d.calls_to("POST", &format!("/webhooks/{APP}/{token}"))
                .is_empty()
        })
        .await;
    let told = ephemeral_followups(&c, &token);
    assert!(told[0].contains("needs the executor role"), "{told:?}");

    let forged = "px:1:999:999";
    let token = c.discord.click(ANA, id_of(&message), forged);
    c.discord
        .wait_until("the forger told privately", |d| {
            !d.calls_to("POST", &format!("/webhooks/{APP}/{token}"))
                .is_empty()
        })
        .await;
    let told = ephemeral_followups(&c, &token);
    assert!(told[0].contains("nothing was run"), "{told:?}");

    assert!(
        c.h.audited("execute_requested").await.is_empty(),
        "nothing ran"
    );
    let refused = c.h.audited("access_refused").await;
    assert_eq!(refused[0]["needed"], "executor");
    assert_eq!(refused[1]["reason"], "control_not_valid");
    assert_eq!(refused[1]["control"]["statement"], 999);
    assert!(
        c.discord
            .bot_messages_in(CHANNEL)
            .iter()
            .all(|m| !m["content"].as_str().unwrap().contains("executor role")),
        "nothing about it in the channel"
    );
    c.disconnect().await;
}

/// sales may not read the clients' cities; carl is in sales; an admin
/// marked the channel closed. While carl can view the channel, ana's result
/// goes to her alone (ephemeral) and the channel reads only where it went;
/// once the channel's overwrites hide it from carl's role, the result is
/// shown in the channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_someone_who_views_the_channel_may_not_read_goes_to_the_clicker_alone() {
    use crate::support::fake_discord::{SEND_MESSAGES, VIEW_CHANNEL};
    const SALES_ROLE: u64 = 600_000_000_000_000_777;
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let mut demo = crate::access::demo_hiding(&[("sales", &["clients.city"])]).await;
    // Marked closed by an admin: its readers are those of the moment (a
    // channel is otherwise open to whoever is later given a role that
    // views it, and sales hides what this reads).
    let mut rules = (*demo.runtime.readers.rules).clone();
    rules.closed_places = vec![("discord".to_owned(), CHANNEL.to_string())];
    demo.runtime.readers.rules = std::sync::Arc::new(rules);
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let c = Connected::new(&ollama, options).await;
    c.h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    // Asked while ana and dana view the channel; carl (sales) is given a
    // role that views it before the click.
    c.discord
        .members(&[(ANA, &[]), (DANA, &[])], &[(SALES_ROLE, SEND_MESSAGES)]);
    let (message, custom_id) = offered(&c).await;
    c.discord.members(
        &[(ANA, &[]), (CARL, &[SALES_ROLE]), (DANA, &[])],
        &[(SALES_ROLE, SEND_MESSAGES)],
    );
    let token = c.discord.click(ANA, id_of(&message), &custom_id);
    c.discord
        .wait_until("the place told where the results went", |d| {
            bot_said(d, "were sent privately")
        })
        .await;
    let private = ephemeral_followups(&c, &token);
    assert!(
        private
            .iter()
            .any(|t| t.contains("visible to you only") && t.contains("Lyon")),
        "{private:#?}"
    );
    assert!(!bot_said(&c.discord, "```text"), "no rows in the channel");
    let requested = c.h.audited("execute_requested").await;
    assert_eq!(requested[0]["redirected"]["rule"], "clients.city");

    // The channel hidden from sales' role: everyone who views it may read
    // the rows.
    c.discord
        .overwrite(CHANNEL, &[(SALES_ROLE, 0, 0, VIEW_CHANNEL)]);
    c.discord.click(ANA, id_of(&message), &custom_id);
    c.discord
        .wait_until("the preview in the channel", |d| bot_said(d, "```text"))
        .await;
    c.handled(3).await;
    c.disconnect().await;
}

/// Without the Server Members intent Discord refuses to list members: no
/// one can tell who views the channel, and the rows go to the clicker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_members_intent_results_under_rules_go_to_the_clicker() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let demo = crate::access::demo_hiding(&[("sales", &["clients.siret"])]).await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let c = Connected::new(&ollama, options).await;
    let (message, custom_id) = offered(&c).await;
    c.discord.click(ANA, id_of(&message), &custom_id);
    c.discord
        .wait_until("the place told where the results went", |d| {
            d.bot_messages_in(CHANNEL).iter().any(|m| {
                m["content"]
                    .as_str()
                    .unwrap()
                    .contains("I cannot tell who reads this place")
            })
        })
        .await;
    let listed = c.discord.calls_to("GET", "/members");
    assert!(listed.iter().all(|k| k.status == 403), "{listed:?}");
    c.handled(2).await;
    c.disconnect().await;
}

/// A channel is open to whoever is later given a role that views it: with
/// a group that may not read what a result reads, the rows go to the
/// clicker even when everyone who views it now may read them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_anyone_may_be_given_later_gets_no_rows_a_group_hides() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let demo = crate::access::demo_hiding(&[("sales", &["clients.city"])]).await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let c = Connected::new(&ollama, options).await;
    c.discord.members(&[(ANA, &[]), (DANA, &[])], &[]);
    let (message, custom_id) = offered(&c).await;
    c.discord.click(ANA, id_of(&message), &custom_id);
    c.discord
        .wait_until("the place told where the results went", |d| {
            d.bot_messages_in(CHANNEL).iter().any(|m| {
                let said = m["content"].as_str().unwrap();
                said.contains("were sent privately") && said.contains("let in later")
            })
        })
        .await;
    assert!(!bot_said(&c.discord, "```text"), "no rows in the channel");
    c.handled(2).await;
    c.disconnect().await;
}

/// A masked link in the model's answer is sent escaped: Discord shows it as
/// the characters it is written with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_masked_link_in_an_answer_is_shown_as_text() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(
        "Voir [la doc](http://127.0.0.1:9/evil) :\n```sql\nSELECT company FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    let (_demo, c) = with_sql(&ollama).await;
    let (message, _) = offered(&c).await;
    let content = message["content"].as_str().unwrap();
    assert!(
        content.contains("\\[la doc](http://127.0.0.1:9/evil)"),
        "{content}"
    );
    assert!(!content.contains(" [la doc]("), "{content}");
    c.handled(1).await;
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_that_disagree_are_asked_back_with_a_button_each_and_a_click_picks() {
    const LYON: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(LYON));
    ollama.then(Script::answer(&LYON.replace("Lyon", "Paris")));
    let demo = crate::execute::demo().await;
    let runtime = crate::semantic::drawing(&demo.runtime, 2, &[pstral_core::sql::Doubt::Split]);
    let options = Options {
        sql: Some(runtime.await),
        ..Options::default()
    };
    let c = Connected::new(&ollama, options).await;
    c.discord.say(
        ANA,
        CHANNEL,
        &format!("<@{BOT}> Quels clients à Lyon ont des paiements en retard ?"),
        true,
    );
    let asked = c.nth_bot_message(CHANNEL, 0).await;
    let id = id_of(&asked);
    c.discord
        .wait_until("a button for each reading", |d| {
            d.message(id).is_some_and(|m| {
                let components = m["components"].to_string();
                components.contains("\"pp:1:") && components.contains("\"pp:2:")
            })
        })
        .await;
    let message = c.discord.message(id).unwrap();
    assert!(
        message["content"].as_str().unwrap().contains("🤔"),
        "{message}"
    );
    let buttons = message["components"][0]["components"].as_array().unwrap();
    let labels: Vec<&str> = buttons.iter().filter_map(|b| b["label"].as_str()).collect();
    assert_eq!(labels, ["Reading 1", "Reading 2"], "{buttons:#?}");
    assert!(
        !bot_said(&c.discord, "```sql"),
        "nothing offered before a pick"
    );
    let second = buttons[1]["custom_id"].as_str().unwrap().to_owned();
    c.discord.click(ANA, id, &second);
    c.discord
        .wait_until("the picked reading's statement, offered", |d| {
            d.bot_messages_in(CHANNEL).iter().any(|m| {
                m["content"].as_str().unwrap().starts_with("✔ Lecture 2")
                    && m["components"].to_string().contains("\"px:1:")
            })
        })
        .await;
    assert!(bot_said(&c.discord, "Paris"));
    c.disconnect().await;
}
