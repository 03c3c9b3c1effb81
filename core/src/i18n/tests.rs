//! Every text in both languages, and what each must say.

use pstral_chat::{Label, Labels};

use super::sql::{MAX_REFUSAL_CHARS, refusal_reason};
use super::*;

#[test]
fn every_command_and_argument_a_platform_lists_is_described_in_both_languages() {
    for (command, arguments) in COMMANDS {
        let mut labels = vec![Label::CommandHelp { command }];
        labels.extend(
            arguments
                .iter()
                .map(|argument| Label::ArgumentHelp { command, argument }),
        );
        for label in labels {
            let all = Wording(Lang::Fr).label_in_all(label);
            assert_eq!(
                all.iter().map(|(code, _)| *code).collect::<Vec<_>>(),
                ["fr", "en"],
                "the bot's own language first"
            );
            for (code, text) in all {
                let fallback = match label {
                    Label::ArgumentHelp { argument, .. } => argument,
                    _ => command,
                };
                assert_ne!(text, *fallback, "{label:?} in {code} has no text");
                assert!(
                    (1..=100).contains(&text.chars().count()),
                    "{label:?}: {text}"
                );
            }
        }
    }
    // The commands described are the grammar's, and Discord's /ask.
    let described: std::collections::BTreeSet<&str> = COMMANDS
        .iter()
        .filter_map(|(command, _)| command.split(' ').next())
        .collect();
    let grammar: std::collections::BTreeSet<&str> = pstral_chat::grammar::COMMANDS
        .iter()
        .map(|(name, _)| *name)
        .chain(["ask"])
        .collect();
    assert_eq!(described, grammar);
}

#[test]
fn buttons_and_notes_are_worded_in_the_bots_language() {
    assert_eq!(Wording(Lang::En).label(Label::Stop), "■ Stop");
    assert_eq!(Wording(Lang::Fr).label(Label::Stop), "■ Arrêter");
    assert_eq!(
        Wording(Lang::Fr).label(Label::Execute { statement: 2 }),
        "▶ Exécuter #2"
    );
    assert!(
        Wording(Lang::En)
            .label(Label::Unreadable)
            .contains("could not read")
    );
}

#[test]
fn a_name_quoted_in_the_chat_is_a_code_span_and_nothing_else() {
    let name = "\"x [y](http://127.0.0.1:9/evil)\"";
    let refusal = crate::sql::validate::Refusal::NotInCatalog(name.to_owned());
    for lang in [Lang::En, Lang::Fr] {
        let said = Sql::Refused(&refusal).render(lang);
        assert!(said.contains(&format!("`{name}`")), "{said}");
    }
    // The audit and the model read the name as it is.
    assert!(refusal.to_string().contains(&format!("reads {name},")));
    // A backtick or a line break cannot close the span or start a block.
    assert_eq!(code_span("a`b\n# c"), "`a\u{2cb}b # c`");
    assert_eq!(code_span(""), "` `");
    let long = code_span(&"[x](y)".repeat(100));
    assert!(long.starts_with('`') && long.ends_with("…`"), "{long}");
}

#[test]
fn a_refusal_quoting_a_long_name_is_cut() {
    let name = format!("secret.{}", "x".repeat(16_300));
    let refusal = crate::sql::validate::Refusal::DeniedObject(name);
    for lang in [Lang::En, Lang::Fr] {
        let said = refusal_reason(lang, &refusal);
        assert!(
            said.chars().count() <= MAX_REFUSAL_CHARS + 1,
            "{}",
            said.len()
        );
        assert!(said.ends_with('…'));
    }
    assert!(refusal.to_string().starts_with("it reads secret.xxx"));
}

#[test]
fn why_a_query_is_too_heavy_or_failed_is_said_in_both_languages_with_its_figures() {
    use crate::sql::backend::{ExecError, Heavy};
    let (table, column) = ("docs".to_owned(), "body".to_owned());
    let heavies = [
        Heavy::GathersComputedRows,
        Heavy::PlanTooDeep,
        Heavy::Gathers {
            mib: Some(731),
            bound_mib: 256,
        },
        Heavy::Gathers {
            mib: None,
            bound_mib: 256,
        },
        Heavy::GathersThroughView {
            table: table.clone(),
            column: column.clone(),
        },
        Heavy::Hashes {
            mib: Some(731),
            bound_mib: 256,
        },
        Heavy::Hashes {
            mib: None,
            bound_mib: 256,
        },
        Heavy::HashJoin {
            mib: Some(1144),
            bound_mib: 256,
        },
        Heavy::TopRows {
            mib: Some(1970),
            bound_mib: 256,
        },
        Heavy::GroupsGrow {
            mib: Some(997),
            bound_mib: 256,
        },
        Heavy::ReadsWhole {
            copies: 120,
            table: table.clone(),
            longest: 10_000_000,
            mib: Some(1144),
            bound_mib: 256,
        },
        Heavy::Rebuilds {
            copies: 2,
            table: table.clone(),
            longest: 30_000_000,
            mib: Some(916),
            bound_mib: 256,
        },
        Heavy::Searches {
            sought: 1_900,
            compared: 0,
            table: table.clone(),
            longest: 24_000_000,
        },
        Heavy::Searches {
            sought: 14,
            compared: 2,
            table: table.clone(),
            longest: 40_000,
        },
        Heavy::LongNumbers {
            table: table.clone(),
            column: column.clone(),
            digits: Some(16_400),
            reads: 1,
            max: 1_000,
        },
        Heavy::LongNumbers {
            table: table.clone(),
            column: column.clone(),
            digits: Some(901),
            reads: 16,
            max: 1_000,
        },
        Heavy::LongNumbers {
            table: table.clone(),
            column: column.clone(),
            digits: None,
            reads: 1,
            max: 1_000,
        },
        Heavy::ViewsExpand {
            scans: Some(4_096),
            max: 256,
        },
        Heavy::ViewsExpand {
            scans: None,
            max: 256,
        },
        Heavy::WritesElements {
            table: table.clone(),
            column: column.clone(),
        },
        Heavy::InView {
            view: "gathered".to_owned(),
            why: Box::new(Heavy::Gathers {
                mib: Some(119),
                bound_mib: 64,
            }),
        },
        Heavy::RepeatedValue {
            what: "(SELECT max(k.val) FROM kv k)".to_owned(),
        },
        Heavy::RecursionGrows {
            table: table.clone(),
            column: column.clone(),
            longest: 4093,
        },
        Heavy::RowBuilds {
            copies: 17,
            table: table.clone(),
            column: column.clone(),
            longest: 4093,
            bound_mib: 256,
        },
        Heavy::Quotes {
            table: table.clone(),
            column: column.clone(),
            longest: 4093,
        },
        Heavy::QuotesWritten { table, column },
    ];
    let errors = heavies.into_iter().map(ExecError::TooHeavy).chain([
        ExecError::Timeout(std::time::Duration::from_secs(30)),
        ExecError::TempSpace(512 * 1024 * 1024),
        ExecError::Memory(512 * 1024 * 1024),
        ExecError::UnreadableColumn,
        ExecError::CutUnordered(731),
        ExecError::Withheld,
    ]);
    for error in errors {
        let text = |lang| Results::ExecFailed { error: &error }.render(lang);
        let (en, fr) = (text(Lang::En), text(Lang::Fr));
        assert_ne!(en, fr, "{error:?}");
        for figure in ["731", "256", "docs.body", "4093", "17", "512"] {
            assert_eq!(
                en.contains(figure),
                fr.contains(figure),
                "{figure}: {en} / {fr}"
            );
        }
        assert!(!fr.contains(" the "), "English in French: {fr}");
    }
    // Whether a failing row came before the cap follows the order rows are
    // read in: a restricted reader cannot tell the two apart.
    for lang in [Lang::En, Lang::Fr] {
        assert_eq!(
            Results::ExecFailed {
                error: &ExecError::CutUnordered(731)
            }
            .render(lang),
            Results::ExecFailed {
                error: &ExecError::Withheld
            }
            .render(lang)
        );
    }
}

#[test]
fn durations_are_written_in_french_units_in_french() {
    use crate::sql::backend::ExecError;
    use std::time::Duration;
    let timeout = |lang| {
        Results::ExecFailed {
            error: &ExecError::Timeout(Duration::from_secs(90)),
        }
        .render(lang)
    };
    assert!(
        timeout(Lang::En).contains("1m 30s"),
        "{}",
        timeout(Lang::En)
    );
    assert!(
        timeout(Lang::Fr).contains("1 min 30 s"),
        "{}",
        timeout(Lang::Fr)
    );
    assert_eq!(
        super::duration_fr(Duration::from_millis(2_500)),
        "2 s 500 ms"
    );
    assert_eq!(super::duration_fr(Duration::ZERO), "0 s");
}

#[test]
fn each_text_differs_between_languages_and_keeps_its_parameters() {
    let texts = [
        Text::Startup(Startup::TerminalWelcome),
        Text::Startup(Startup::ModelServerDown {
            url: "http://127.0.0.1:11434",
            error: "refused",
            ollama: true,
        }),
        Text::Startup(Startup::ModelServerDown {
            url: "http://127.0.0.1:8000/v1",
            error: "refused",
            ollama: false,
        }),
        Text::Startup(Startup::ServerLacksModel {
            url: "http://127.0.0.1:11434",
            model: "qwen",
            ollama: true,
            served: "",
        }),
        Text::Startup(Startup::ServerLacksModel {
            url: "http://127.0.0.1:8000/v1",
            model: "qwen",
            ollama: false,
            served: "ana, executor",
        }),
        Text::Answer(Answer::ModelKeyRefused),
        Text::Results(Results::RowsCaption {
            shown: 5,
            total: 120,
            truncated: true,
        }),
        Text::Link(Link::UnknownIdentity {
            contact: "IT (x42)",
            prefix: "!",
        }),
        Text::Link(Link::Linked { user: "ana" }),
        Text::Link(Link::InviteNotValid),
        Text::Link(Link::OnlyInDm { prefix: "!" }),
        Text::Link(Link::Requested {
            user: "ana",
            account: "matrix:@ana:example.org",
            prefix: "!",
        }),
        Text::Link(Link::Unreadable),
        Text::Link(Link::TooManyAttempts),
        Text::Link(Link::Requests {
            requests: &[],
            more: 0,
            prefix: "!",
        }),
        Text::Link(Link::Requests {
            requests: &[
                ("matrix:@ana:example.org", "ana", Some("viewer")),
                ("matrix:@eve:example.org", "root", Some("admin")),
                ("matrix:@zed:example.org", "zed", None),
            ],
            more: 3,
            prefix: "!",
        }),
        Text::Link(Link::Approved {
            account: "matrix:@ana:example.org",
            user: "ana",
        }),
        Text::Link(Link::Denied {
            account: "matrix:@ana:example.org",
            user: "ana",
        }),
        Text::Link(Link::NoRequest {
            account: "matrix:@ana:example.org",
        }),
        Text::Link(Link::AlreadyLinked { user: "ana" }),
        Text::Link(Link::NotAllowed { needed: "executor" }),
        Text::Audit(Audit::Unavailable),
        Text::Answer(Answer::Thinking),
        Text::Answer(Answer::QueuePosition { position: 3 }),
        Text::Answer(Answer::ModelUnavailable),
        Text::Answer(Answer::ModelTooSlow),
        Text::Answer(Answer::Cut),
        Text::Startup(Startup::TerminalLogFile {
            path: "data/chat.log",
        }),
        Text::Answer(Answer::PromptTooLong {
            prompt_tokens: 2500,
            context: Some(2048),
        }),
        Text::Answer(Answer::PromptTooLong {
            prompt_tokens: 2500,
            context: None,
        }),
        Text::Answer(Answer::NotPosted { prefix: "!" }),
        Text::Answer(Answer::TooLong),
        Text::Answer(Answer::Repeats),
        Text::Answer(Answer::StopNotAllowed),
        Text::Results(Results::CannotAttach),
        Text::Results(Results::CannotShowResult),
        Text::Answer(Answer::ModelMissing {
            model: "ana",
            ollama: true,
        }),
        Text::Answer(Answer::ModelMissing {
            model: "ana",
            ollama: false,
        }),
        Text::Answer(Answer::ModelFailed),
        Text::Answer(Answer::QueueFull),
        Text::Answer(Answer::OwnQueueFull { waiting: 4 }),
        Text::Answer(Answer::Stopped),
        Text::Answer(Answer::Interrupted),
        Text::Answer(Answer::Empty),
        Text::Commands(Commands::ModeSet { mode: "executor" }),
        Text::Commands(Commands::ModeSetForChannel { mode: "executor" }),
        Text::Commands(Commands::ModeChannelNeedsAdmin { prefix: "!" }),
        Text::Commands(Commands::UnknownMode { given: "ana" }),
        Text::Answer(Answer::NothingToStop),
        Text::Commands(Commands::NothingToExport),
        Text::Commands(Commands::NotYourConversation),
        Text::Feedback(Feedback::ExampleStaysRemoved),
        Text::Sql(Sql::DoesNotCompile {
            index: 3,
            message: "ana",
        }),
        Text::Sql(Sql::TooHeavy {
            index: 3,
            heavy: &crate::sql::backend::Heavy::GathersThroughView {
                table: "ana".into(),
                column: "executor".into(),
            },
        }),
        Text::Sql(Sql::PlanTooSlow {
            index: 3,
            limit: std::time::Duration::from_secs(30),
        }),
        Text::Sql(Sql::Ready {
            index: 3,
            rows: None,
            buttons: true,
            prefix: "!",
        }),
        Text::Sql(Sql::Ready {
            index: 3,
            rows: None,
            buttons: false,
            prefix: "!",
        }),
        Text::Sql(Sql::NothingToRun { index: 3 }),
        Text::Results(Results::Running { index: 3 }),
        Text::Results(Results::ExecFailed {
            error: &crate::sql::backend::ExecError::Database("ana".into()),
        }),
        Text::Results(Results::ExecFailed {
            error: &crate::sql::backend::ExecError::Timeout(std::time::Duration::from_secs(3)),
        }),
        Text::Results(Results::ExecuteUnavailable { reason: "ana" }),
        Text::Sql(Sql::RepairRequest { reasons: "ana" }),
        Text::Sql(Sql::AskedAgain),
        Text::Readings(Readings::PlanAnswer {
            reading: "ana",
            confirmed: None,
            sql: "ana",
        }),
        Text::Readings(Readings::PlanAnswer {
            reading: "ana",
            confirmed: Some(3),
            sql: "ana",
        }),
        Text::Readings(Readings::PlanValueUnknown {
            dimension: "ana",
            value: "ana",
            near: "ana",
        }),
        Text::Readings(Readings::PlanValueUnknown {
            dimension: "ana",
            value: "ana",
            near: "",
        }),
        Text::Sql(Sql::Agreed {
            votes: 3,
            of: 5,
            index: 2,
            sql: "ana",
        }),
        Text::Sql(Sql::ColumnIsIn {
            column: "ana",
            tables: "ana",
        }),
        Text::Sql(Sql::ColumnIsIn {
            column: "ana",
            tables: "",
        }),
        Text::Commands(Commands::Help { prefix: "!" }),
        Text::Feedback(Feedback::ExampleStored {
            id: 3,
            new: true,
            target: "ana",
        }),
        Text::Feedback(Feedback::ExampleStored {
            id: 3,
            new: false,
            target: "ana",
        }),
        Text::Feedback(Feedback::Noted),
        Text::Feedback(Feedback::ConfirmNotAllowed { role: "executor" }),
        Text::Feedback(Feedback::ConfirmPrivateNeedsRole { role: "executor" }),
        Text::Feedback(Feedback::NoResultToJudge),
        Text::Feedback(Feedback::ResultWithoutQuestion),
        Text::Feedback(Feedback::ExampleSetAside { reason: "ana" }),
        Text::Feedback(Feedback::Typed { prefix: "!" }),
        Text::Feedback(Feedback::ExamplesListed {
            shown: 3,
            total: 3,
            target: "ana",
        }),
        Text::Feedback(Feedback::NoExamples { target: "ana" }),
        Text::Feedback(Feedback::ExampleRemoved { id: 3 }),
        Text::Feedback(Feedback::NoSuchExample { id: 3 }),
    ];
    for t in texts {
        let (en, fr) = (t.render(Lang::En), t.render(Lang::Fr));
        assert_ne!(en, fr, "{t:?} is not translated");
        for param in ["IT (x42)", "ana", "executor", "3"] {
            assert_eq!(en.contains(param), fr.contains(param), "{t:?}: {param}");
        }
    }
}

/// Every refusal the hostile corpus draws, said in French, carries no
/// English words of its own: only the statement's names and the
/// parser's own message (which sqlparser words in English) stay as they
/// are.
#[test]
fn why_a_statement_is_refused_is_said_in_french_to_a_french_speaker() {
    use crate::sql::Dialect;
    use crate::sql::validate::{Policy, Refusal, Unreadable, validate};
    let corpus = include_str!("../../../tests/pstral/corpus/hostile.tsv");
    let english = [
        "more than",
        "at most",
        "characters",
        "cannot",
        "which",
        "written out",
        "builds",
        "another dialect",
        "checker",
        "countless",
        "digits",
        "values",
    ];
    let mut said = 0;
    for line in corpus
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.splitn(4, '\t');
        let (Some(dialect), _, _, Some(sql)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(dialect) = dialect.parse::<Dialect>() else {
            continue;
        };
        let sql = sql.replace("\\n", "\n");
        let Err(refusal) = validate(&sql, &Policy::new(dialect)) else {
            continue;
        };
        if matches!(refusal, Refusal::CannotVerify(Unreadable::Unparsable(_))) {
            continue;
        }
        let fr = Sql::Refused(&refusal).render(Lang::Fr);
        let own = fr.replace(sql.as_str(), "");
        for word in english {
            // A name of the statement may hold the word: only the
            // wording around it counts.
            if !sql.to_lowercase().contains(word) {
                assert!(!own.contains(word), "{sql}\n{fr}: {word}");
            }
        }
        said += 1;
    }
    assert!(said > 300, "only {said} refusals drawn from the corpus");
}

#[test]
fn a_bound_is_said_with_its_figures_in_both_languages() {
    use crate::sql::Dialect;
    use crate::sql::validate::{Policy, validate};
    let refusal = validate(
        "SELECT repeat('ab', 10000)",
        &Policy::new(Dialect::Postgres),
    )
    .expect_err("twenty thousand characters are past the bound");
    let en = Sql::Refused(&refusal).render(Lang::En);
    let fr = Sql::Refused(&refusal).render(Lang::Fr);
    assert!(
        en.contains("repeat builds 20000 characters, more than 10000"),
        "{en}"
    );
    assert!(
        fr.contains("repeat construit 20000 caractères, plus de 10000"),
        "{fr}"
    );
    assert_eq!(
        refusal.to_string(),
        en.trim_start_matches("This query will not be run: ")
            .trim_end_matches('.')
    );
}

#[test]
fn the_default_contact_and_estimates_read_as_french_in_french() {
    let unknown = Link::UnknownIdentity {
        contact: "an administrator",
        prefix: "!",
    };
    let fr = unknown.render(Lang::Fr);
    assert!(fr.contains("demandez à un administrateur"), "{fr}");
    assert!(unknown.render(Lang::En).contains("ask an administrator"));
    // A contact the operator wrote is shown as written.
    let named = Link::UnknownIdentity {
        contact: "Léa (IT)",
        prefix: "!",
    };
    assert!(named.render(Lang::Fr).contains("demandez à Léa (IT)"));
}

#[test]
fn every_reason_something_is_hidden_is_said_in_both_languages_with_its_rule() {
    use crate::access::Hidden;
    use crate::sql::validate::Unordered;
    let read = |through: Option<&str>| Hidden::Read {
        group: "sales".to_owned(),
        rule: "*.salary".to_owned(),
        what: "staff.salary".to_owned(),
        through: through.map(str::to_owned),
        visible: Some(vec!["id".to_owned(), "nom".to_owned()]),
    };
    let unordered = |how: Unordered| Hidden::Unordered {
        group: "sales".to_owned(),
        rule: "*.salary".to_owned(),
        what: "staff.salary".to_owned(),
        how,
    };
    let all = [
        Hidden::NoGroup,
        Hidden::GroupsGone {
            groups: vec!["interns".to_owned()],
        },
        read(None),
        read(Some("staff.band")),
        Hidden::Unfollowed {
            group: "sales".to_owned(),
            what: "staff_fts".to_owned(),
        },
        Hidden::Account {
            group: Some("north".to_owned()),
        },
        unordered(Unordered::Limit),
        unordered(Unordered::DistinctOn),
        unordered(Unordered::Window("row_number".to_owned())),
        unordered(Unordered::Aggregate("string_agg".to_owned())),
        unordered(Unordered::BareColumn("nom".to_owned())),
        unordered(Unordered::Place("ROWNUM".to_owned())),
        unordered(Unordered::Sample),
        unordered(Unordered::Unknown("crm.rank".to_owned())),
        unordered(Unordered::Ties),
        unordered(Unordered::Unequal("DISTINCT".to_owned())),
        unordered(Unordered::Rounded("sum".to_owned())),
        unordered(Unordered::Drawn("random".to_owned())),
    ];
    let mut said = std::collections::HashSet::new();
    for hidden in &all {
        let en = Results::HiddenFromYou(hidden).render(Lang::En);
        let fr = Results::HiddenFromYou(hidden).render(Lang::Fr);
        assert!(en.starts_with("Nothing was run"), "{en}");
        assert!(fr.starts_with("Rien n'a été exécuté"), "{fr}");
        for text in [&en, &fr] {
            if matches!(hidden, Hidden::Read { .. } | Hidden::Unordered { .. }) {
                assert!(text.contains("`*.salary`"), "{text}");
            }
            assert!(said.insert(text.clone()), "said twice: {text}");
        }
    }
    assert!(
        Results::HiddenFromYou(&read(Some("staff.band")))
            .render(Lang::En)
            .contains("staff.band is computed from it")
    );
}

#[test]
fn numbers_on_a_chart_are_written_as_each_language_writes_them() {
    use super::chart::number;
    assert_eq!(number(1234.5, Lang::Fr), "1\u{a0}234,5");
    assert_eq!(number(1234.5, Lang::En), "1,234.5");
    assert_eq!(number(-1_234_567.0, Lang::En), "-1,234,567");
    assert_eq!(number(0.125, Lang::Fr), "0,125");
    assert_eq!(number(12.0, Lang::Fr), "12");
    assert_eq!(number(-0.0001, Lang::En), "0");
    assert_eq!(number(999.999, Lang::En), "1,000");
}

#[test]
fn a_chart_is_described_and_its_rule_said_in_both_languages() {
    use crate::chart::{Chart, Kind, NoChart, Rule, Series, XAxis};
    let chart = Chart {
        kind: Kind::Bar,
        rule: Rule::SharesOfAWhole,
        x_name: "status".to_owned(),
        x: XAxis::Labels(vec!["paid".to_owned(), "late".to_owned()]),
        series: vec![Series {
            name: "total".to_owned(),
            values: vec![Some(1200.0), Some(3000.4)],
        }],
    };
    assert_eq!(
        super::chart::description(&chart, Lang::En),
        "Bar chart of total by status, 2 bars; total is highest at late (3,000.4). Drawn as \
         bars, for a single number in at most 8 parts (shares of a whole: lengths compare \
         better than a pie's angles)."
    );
    assert_eq!(
        super::chart::description(&chart, Lang::Fr),
        "Graphique en barres de total par status, 2 barres ; total est au plus haut pour late \
         (3\u{a0}000,4). Dessiné en barres, pour un seul nombre en au plus 8 parts (les \
         parts d'un tout : des longueurs se comparent mieux que les angles d'un camembert)."
    );
    for rule in [Rule::OverTime, Rule::ByLabel, Rule::SharesOfAWhole] {
        assert_ne!(
            super::chart::why(rule, Lang::En),
            super::chart::why(rule, Lang::Fr)
        );
    }
    assert!(
        super::chart::why_none(NoChart::TooManyLabels { labels: 31 }, Lang::Fr)
            .contains("31 libellés")
    );
}

#[test]
fn a_charts_description_quotes_long_names_shortened() {
    use crate::chart::{Chart, Kind, Rule, Series, XAxis};
    let long = "n".repeat(3_000);
    let chart = Chart {
        kind: Kind::HorizontalBar,
        rule: Rule::ByLabel,
        x_name: long.clone(),
        x: XAxis::Labels(vec![long.clone(), "b".to_owned()]),
        series: vec![Series {
            name: long,
            values: vec![Some(1.0), Some(2.0)],
        }],
    };
    for lang in Lang::ALL {
        let said = super::chart::description(&chart, lang);
        assert!(said.chars().count() < 500, "{said}");
        assert!(said.contains('…'), "{said}");
    }
}
