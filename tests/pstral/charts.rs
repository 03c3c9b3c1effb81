//! Charts beside results: the demo's questions drawn as docs/sql.md shows
//! them (golden images, compared within a tolerance), and a click's result
//! with its chart attached where the table goes, described, and audited
//! with the rule that chose it.

use pstral_core::sql::backend::Executor as _;
use std::path::PathBuf;

use pstral_chat::{InboundEvent, OutboundAction};
use pstral_core::chart::{ChartRows, Kind, Rule};
use pstral_core::i18n::Lang;

use crate::answers::{MODEL, who};
use crate::support::fake_model::{FakeModel, Script};

/// The three demo questions docs/sql.md shows a chart of: a line, bars,
/// bars on their side.
const GOLDEN: [(&str, &str, &str, Kind); 3] = [
    (
        "line",
        "Combien de contrats ont démarré chaque mois depuis 2024 ?",
        "SELECT strftime('%Y-%m', starts_on) AS mois, count(*) AS contrats FROM contracts \
         WHERE starts_on >= '2024-01-01' GROUP BY mois ORDER BY mois",
        Kind::Line,
    ),
    (
        "bar",
        "Combien de contrats par statut ?",
        "SELECT status AS statut, count(*) AS contrats FROM contracts GROUP BY status \
         ORDER BY contrats DESC",
        Kind::Bar,
    ),
    (
        "horizontal_bar",
        "Quels sont les dix clients qui ont le plus payé ?",
        "SELECT c.company AS client, sum(p.amount) AS montant_paye FROM payments p \
         JOIN contracts k ON k.id = p.contract_id JOIN clients c ON c.id = k.client_id \
         WHERE p.paid_on IS NOT NULL GROUP BY c.id, c.company ORDER BY montant_paye DESC LIMIT 10",
        Kind::HorizontalBar,
    ),
];

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/charts")
        .join(format!("{name}.png"))
}

/// A PNG's width, height and RGB pixels.
pub(crate) fn decoded(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// The demo's charts, drawn from its database as a click would draw them,
/// match the images under docs/charts (within a tolerance: a font
/// rasterised differently moves a few pixels, a chart drawn differently
/// moves many). `PSTRAL_BLESS_CHARTS=1` writes them anew.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_questions_are_drawn_as_the_golden_images() {
    let demo = crate::execute::demo().await;
    let bless = std::env::var_os("PSTRAL_BLESS_CHARTS").is_some();
    let executor = demo.executor().await;
    for (name, question, sql, kind) in GOLDEN {
        let valid = demo.runtime.check(sql).unwrap();
        let mut rows = ChartRows::new();
        executor
            .run(&valid, demo.runtime.limits, &mut rows)
            .await
            .unwrap();
        let chart = rows.choose(None).unwrap();
        assert_eq!(chart.kind, kind, "{name}");
        let number = |v: f64| pstral_core::i18n::chart::number(v, Lang::Fr);
        let drawn = pstral_core::chart::draw(&chart, question, &number).unwrap();
        let path = golden_path(name);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &drawn.png).unwrap();
            continue;
        }
        let golden = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (PSTRAL_BLESS_CHARTS=1 writes it)", path.display())
        });
        let (width, height, expected) = decoded(&golden);
        let (w, h, got) = decoded(&drawn.png);
        assert_eq!((w, h), (width, height), "{name}");
        let differing = expected
            .chunks(3)
            .zip(got.chunks(3))
            .filter(|(a, b)| a.iter().zip(*b).any(|(x, y)| x.abs_diff(*y) > 24))
            .count();
        let share = differing as f64 / f64::from(w * h);
        assert!(
            share < 0.005,
            "{name}: {differing} pixels differ from {} ({:.2} %)",
            path.display(),
            share * 100.0
        );
    }
}

/// A click whose result calls for a chart: the PNG goes first among the
/// files, with its size, a thumbnail and a description, and the result's
/// record says which chart and by which rule; a result that calls for
/// none gets none, and its record says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_that_calls_for_a_chart_gets_one_beside_its_table() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(&format!(
        "Voici :\n```sql\n{}\n```",
        GOLDEN[1].2
    )));
    let (_demo, h) = crate::execute::harness(&fake).await;
    h.ask(1, GOLDEN[1].1).await;
    let (message, control) = h
        .platform
        .actions()
        .into_iter()
        .find_map(|a| match a.action {
            OutboundAction::ShowControl {
                message,
                control: c @ pstral_chat::ControlKind::Execute { .. },
            } => Some((message, c)),
            _ => None,
        })
        .expect("Execute is offered");
    h.bot
        .handle(
            h.platform.clone(),
            InboundEvent::Control {
                actor: who(2),
                message,
                control,
                event: None,
            },
        )
        .await;
    let files: Vec<pstral_chat::Attachment> = h
        .platform
        .actions()
        .into_iter()
        .filter_map(|a| match a.action {
            OutboundAction::Attach { attachment, .. } => Some(attachment),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0].ends_with(".png") && names[1].ends_with(".csv"),
        "{names:?}"
    );
    let chart = &files[0];
    assert_eq!(chart.media_type, "image/png");
    let image = chart.image.as_ref().expect("described as an image");
    let (width, height, _) = decoded(&chart.bytes);
    assert_eq!((image.width, image.height), (width, height));
    let thumbnail = image.thumbnail.as_ref().expect("a thumbnail");
    assert_eq!(
        decoded(&thumbnail.bytes).0..decoded(&thumbnail.bytes).1,
        thumbnail.width..thumbnail.height
    );
    assert!(
        image
            .description
            .starts_with("Bar chart of contrats by statut, 4 bars"),
        "{}",
        image.description
    );
    let result = h.audited("execute_result").await;
    assert_eq!(result[0]["chart"]["kind"], "bar");
    assert_eq!(result[0]["chart"]["rule"], Rule::SharesOfAWhole.as_str());
    assert_eq!(result[0]["chart"]["width"], width);

    // A list of names has no number to draw: no chart, and the record
    // says which rule.
    fake.then(Script::answer(
        "Voici :\n```sql\nSELECT company, city FROM clients WHERE city = 'Lyon'\n```",
    ));
    h.ask(1, "Nos clients à Lyon ?").await;
    let run = InboundEvent::Command {
        in_reply_to: None,
        author: who(2),
        place: crate::answers::channel(),
        message: None,
        command: pstral_chat::Command::Run {
            index: 1,
            chart: pstral_chat::ChartWish::AsConfigured,
        },
    };
    h.bot.handle(h.platform.clone(), run).await;
    let result = h.audited("execute_result").await;
    assert_eq!(
        result[1]["chart"]["none"]["rule"], "no_number",
        "{:?}",
        result[1]
    );

    // Asked for, a chart the rules refuse is said to be missing, and why;
    // asked not to, there is none.
    let run = |chart| InboundEvent::Command {
        in_reply_to: None,
        author: who(2),
        place: crate::answers::channel(),
        message: None,
        command: pstral_chat::Command::Run { index: 1, chart },
    };
    h.bot
        .handle(h.platform.clone(), run(pstral_chat::ChartWish::Wanted))
        .await;
    let said = h.answers().last().unwrap().1.clone();
    assert!(
        said.contains("No chart: the result has no numeric column."),
        "{said}"
    );
    fake.then(Script::answer(&format!(
        "Voici :\n```sql\n{}\n```",
        GOLDEN[1].2
    )));
    h.ask(1, GOLDEN[1].1).await;
    let before = h.platform.actions().len();
    h.bot
        .handle(h.platform.clone(), run(pstral_chat::ChartWish::Unwanted))
        .await;
    let images = h.platform.actions()[before..]
        .iter()
        .filter(|a| matches!(&a.action, OutboundAction::Attach { attachment, .. } if attachment.image.is_some()))
        .count();
    assert_eq!(images, 0, "the table alone");
    // A result cut at its cap (50 rows here) is not charted as the whole.
    fake.then(Script::answer(
        "Voici :\n```sql\nSELECT starts_on AS jour, count(*) AS contrats FROM contracts \
         GROUP BY starts_on ORDER BY starts_on\n```",
    ));
    h.ask(1, "Contrats par jour ?").await;
    h.bot
        .handle(h.platform.clone(), run(pstral_chat::ChartWish::Wanted))
        .await;
    let said = h.answers().last().unwrap().1.clone();
    assert!(
        said.contains("No chart: the result was cut at 50 rows"),
        "{said}"
    );
    assert!(h.audited("execute_result").await[3]["chart"].is_null());
}
