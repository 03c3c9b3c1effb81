use super::*;
use crate::sql::backend::{Cell, Column};

fn columns(spec: &[(&str, &str)]) -> Vec<Column> {
    spec.iter()
        .map(|(name, type_name)| Column::new(name, type_name, crate::sql::Dialect::Postgres))
        .collect()
}

fn rows(cells: &[&[&str]]) -> Vec<Vec<Cell>> {
    cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| (*c != "NULL").then(|| (*c).to_owned()))
                .collect()
        })
        .collect()
}

/// The chart the rules give `cells` of `spec`: its kind and rule, or the
/// rule that says none.
fn chosen(spec: &[(&str, &str)], cells: &[&[&str]]) -> Result<(Kind, Rule), NoChart> {
    choose(&columns(spec), &rows(cells)).map(|c| (c.kind, c.rule))
}

#[test]
fn the_chart_follows_the_rules_on_the_results_shape() {
    let month = ("month", "TEXT");
    let total = ("total", "");
    // A date and a number: a line over time, whatever the date's form.
    assert_eq!(
        chosen(
            &[month, total],
            &[&["2025-01", "3"], &["2025-02", "5"], &["2025-03", "4"]]
        ),
        Ok((Kind::Line, Rule::OverTime))
    );
    assert_eq!(
        chosen(
            &[
                ("signed_on", "date"),
                ("amount", "numeric"),
                ("count", "int8")
            ],
            &[&["2025-01-03", "10.5", "1"], &["2025-01-04", "12", "2"]]
        ),
        Ok((Kind::Line, Rule::OverTime))
    );
    assert_eq!(
        chosen(
            &[("at", "timestamptz"), ("n", "int8")],
            &[
                &["2025-01-03 10:00:00+00", "1"],
                &["2025-01-03 11:30:00+00", "4"]
            ]
        ),
        Ok((Kind::Line, Rule::OverTime))
    );
    // A year kept as a number, named so.
    assert_eq!(
        chosen(
            &[("year", "INTEGER"), total],
            &[&["2023", "1"], &["2024", "2"]]
        ),
        Ok((Kind::Line, Rule::OverTime))
    );
    // Few parts of one number: bars, never a pie.
    let status = ("status", "TEXT");
    assert_eq!(
        chosen(
            &[status, total],
            &[&["paid", "10"], &["late", "3"], &["due", "5"]]
        ),
        Ok((Kind::Bar, Rule::SharesOfAWhole))
    );
    // Labels and up to three numbers; identifiers left out.
    let ten: Vec<Vec<String>> = (0..10)
        .map(|i| {
            vec![
                format!("{i}"),
                format!("c{i}"),
                format!("{}", i * 7),
                "1".to_owned(),
            ]
        })
        .collect();
    let ten: Vec<Vec<&str>> = ten
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let ten: Vec<&[&str]> = ten.iter().map(Vec::as_slice).collect();
    assert_eq!(
        chosen(
            &[("id", "INTEGER"), ("client", "TEXT"), total, ("n", "")],
            &ten
        ),
        Ok((Kind::Bar, Rule::ByLabel))
    );
    // Long labels read across.
    assert_eq!(
        chosen(
            &[("company", "TEXT"), total],
            &[&["Durand & Fils Construction", "10"], &["Roux", "3"]]
        ),
        Ok((Kind::HorizontalBar, Rule::SharesOfAWhole))
    );
    // None: a single value, no rows, no number, nothing to read by, too
    // wide, too many labels, labels repeated.
    assert_eq!(chosen(&[total], &[&["42"]]), Err(NoChart::SingleValue));
    assert_eq!(
        chosen(&[status, total], &[&["paid", "1"]]),
        Err(NoChart::SingleValue)
    );
    assert_eq!(chosen(&[status, total], &[]), Err(NoChart::NoRows));
    assert_eq!(
        chosen(
            &[status, ("city", "TEXT")],
            &[&["paid", "Lyon"], &["late", "Paris"]]
        ),
        Err(NoChart::NoNumber)
    );
    assert_eq!(
        chosen(&[("a", ""), ("b", "")], &[&["1", "2"], &["3", "4"]]),
        Err(NoChart::NoLabel)
    );
    assert_eq!(
        chosen(
            &[status, ("a", ""), ("b", ""), ("c", ""), ("d", "")],
            &[&["x", "1", "2", "3", "4"], &["y", "1", "2", "3", "4"]]
        ),
        Err(NoChart::TooWide { columns: 5 })
    );
    assert_eq!(
        chosen(
            &[status, ("city", "TEXT"), total],
            &[&["x", "Lyon", "1"], &["y", "Nice", "2"]]
        ),
        Err(NoChart::TooWide { columns: 3 })
    );
    let many: Vec<Vec<String>> = (0..31)
        .map(|i| vec![format!("l{i}"), format!("{i}")])
        .collect();
    let many: Vec<Vec<&str>> = many
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let many: Vec<&[&str]> = many.iter().map(Vec::as_slice).collect();
    assert_eq!(
        chosen(&[status, total], &many),
        Err(NoChart::TooManyLabels { labels: 31 })
    );
    assert_eq!(
        chosen(&[status, total], &[&["paid", "1"], &["paid", "2"]]),
        Err(NoChart::RepeatedLabels)
    );
    // A number kept as text is a label: a postcode is not a measure.
    assert_eq!(
        chosen(
            &[("postcode", "TEXT"), total],
            &[&["69001", "4"], &["75002", "9"]]
        ),
        Ok((Kind::Bar, Rule::SharesOfAWhole))
    );
}

#[test]
fn a_line_is_drawn_in_time_order_and_a_null_leaves_a_gap() {
    let chart = choose(
        &columns(&[("day", "date"), ("n", "")]),
        &rows(&[
            &["2025-01-03", "3"],
            &["2025-01-01", "1"],
            &["2025-01-02", "NULL"],
        ]),
    )
    .unwrap();
    let XAxis::Time { at, unit } = &chart.x else {
        panic!("{chart:?}")
    };
    assert_eq!(*unit, TimeUnit::Day);
    assert!(at.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(chart.series[0].values, [Some(1.0), None, Some(3.0)]);
    assert_eq!(written(at[0], *unit), "2025-01-01");
}

/// Decodes a PNG: its size and its pixels (RGB).
fn decoded(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = ::png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, ::png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// How many pixels are of the series' first colour (Okabe–Ito blue).
fn blue(pixels: &[u8]) -> usize {
    pixels.chunks(3).filter(|p| p == &[0, 114, 178]).count()
}

#[test]
fn each_kind_is_drawn_as_a_png_of_the_chat_size_that_is_not_blank() {
    let number = |v: f64| format!("{v:.1}");
    for (spec, cells) in [
        (
            &[("month", "TEXT"), ("n", "")][..],
            &[&["2025-01", "3"][..], &["2025-02", "5"], &["2025-03", "4"]][..],
        ),
        (
            &[("status", "TEXT"), ("n", ""), ("m", "")][..],
            &[
                &["paid", "3", "1"][..],
                &["late", "5", "2"],
                &["due", "-4", "0"],
            ][..],
        ),
        (
            &[("company", "TEXT"), ("amount", "")][..],
            &[
                &["Durand & Fils Construction", "12000.5"][..],
                &["Roux Travaux", "3000"],
            ][..],
        ),
    ] {
        let chart = choose(&columns(spec), &rows(cells)).unwrap();
        let drawn = draw(&chart, "Combien de contrats par mois ?", &number).unwrap();
        let (width, height, pixels) = decoded(&drawn.png);
        assert_eq!((width, height), (WIDTH, HEIGHT));
        assert_eq!((drawn.width, drawn.height), (WIDTH, HEIGHT));
        let ink = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(ink > 5_000, "{:?}: {ink} pixels drawn", chart.kind);
        assert!(blue(&pixels) > 300, "{:?}: the data is drawn", chart.kind);
    }
}

#[test]
fn a_chart_of_the_most_rows_is_drawn_from_them_all() {
    let cells: Vec<Vec<Cell>> = (0..MAX_POINTS)
        .map(|i| {
            let at = chrono::DateTime::from_timestamp(946_684_800 + i as i64 * 60, 0).unwrap();
            vec![
                Some(at.format("%Y-%m-%d %H:%M:%S").to_string()),
                Some(format!("{}", (i as f64).sin())),
            ]
        })
        .collect();
    let chart = choose(&columns(&[("at", "timestamp"), ("v", "float8")]), &cells).unwrap();
    assert_eq!(chart.series[0].values.len(), MAX_POINTS);
    let drawn = draw(&chart, "", &|v| format!("{v}")).unwrap();
    assert!(blue(&decoded(&drawn.png).2) > 1_000);
    let mut one_more = cells;
    one_more.push(vec![Some("2000-01-04".to_owned()), Some("1".to_owned())]);
    assert_eq!(
        choose(&columns(&[("at", "timestamp"), ("v", "float8")]), &one_more).map(|c| c.kind),
        Err(NoChart::TooLong {
            rows: MAX_POINTS + 1
        })
    );
}

#[test]
fn the_rows_kept_for_a_chart_are_bounded() {
    use crate::sql::backend::RowSink;
    let mut kept = ChartRows::new();
    kept.columns(&columns(&[("day", "date"), ("n", "")]))
        .unwrap();
    for i in 0..=MAX_POINTS {
        kept.row(&[Some("2025-01-01".to_owned()), Some(i.to_string())])
            .unwrap();
    }
    assert_eq!(kept.rows.len(), MAX_POINTS);
    assert!(matches!(kept.choose(None), Err(NoChart::TooLong { .. })));
    let mut wide = ChartRows::new();
    let many: Vec<(String, String)> = (0..9).map(|i| (format!("c{i}"), String::new())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    wide.columns(&columns(&many)).unwrap();
    wide.row(&vec![Some("1".to_owned()); 9]).unwrap();
    assert!(
        wide.rows.is_empty(),
        "a result wider than a chart keeps nothing"
    );
    assert!(matches!(
        wide.choose(None),
        Err(NoChart::TooWide { columns: 9 })
    ));
}

/// From a review: what a database may hold that would break a chart.
#[test]
fn odd_values_get_a_readable_chart_or_the_rule_that_says_none() {
    let spec = [("k", "TEXT"), ("v", "float8")];
    // Finite, but their span is not: plotters would look for ticks forever.
    assert_eq!(
        chosen(&spec, &[&["a", "1e308"], &["b", "-1e308"]]),
        Err(NoChart::OutOfScale)
    );
    // A float column with NaN and infinities is still a number; they are
    // left out of the drawing.
    let chart = choose(
        &columns(&spec),
        &rows(&[&["a", "NaN"], &["b", "2"], &["c", "inf"]]),
    )
    .unwrap();
    assert_eq!(chart.series[0].values, [None, Some(2.0), None]);
    draw(&chart, "", &|v| format!("{v}")).unwrap();
    // Ranges that read like dates to a lenient parser are labels.
    assert_eq!(
        chosen(
            &[("range", "TEXT"), ("n", "")],
            &[&["1-5", "3"], &["6-10", "4"]]
        ),
        Ok((Kind::Bar, Rule::SharesOfAWhole))
    );
    // A part missing or below zero is not a share of a whole.
    assert_eq!(
        chosen(&spec, &[&["a", "3"], &["b", "-1"]]),
        Ok((Kind::Bar, Rule::ByLabel))
    );
    assert_eq!(
        chosen(&spec, &[&["a", "3"], &["b", "NULL"]]),
        Ok((Kind::Bar, Rule::ByLabel))
    );
    // One value everywhere, and labels of thousands of characters, with
    // control characters and a right-to-left mark: drawn all the same.
    let long = format!("{}\u{202e}\u{7}{}", "x".repeat(5_000), "y");
    let chart = choose(&columns(&spec), &rows(&[&[&long, "0"], &["b", "0"]])).unwrap();
    let drawn = draw(&chart, &long, &|v| format!("{v}")).unwrap();
    assert_eq!(decoded(&drawn.png).0, WIDTH);
}

#[test]
fn a_result_cut_at_its_cap_gets_no_chart_unless_its_shape_says_none_first() {
    use crate::sql::backend::RowSink;
    let mut kept = ChartRows::new();
    kept.columns(&columns(&[("status", "TEXT"), ("n", "")]))
        .unwrap();
    kept.row(&[Some("paid".to_owned()), Some("3".to_owned())])
        .unwrap();
    kept.row(&[Some("late".to_owned()), Some("1".to_owned())])
        .unwrap();
    assert!(kept.choose(None).is_ok());
    assert_eq!(
        kept.choose(Some(2)).map(|c| c.kind),
        Err(NoChart::Cut { rows: 2 })
    );
    let mut names = ChartRows::new();
    names.columns(&columns(&[("company", "TEXT")])).unwrap();
    names.row(&[Some("a".to_owned())]).unwrap();
    names.row(&[Some("b".to_owned())]).unwrap();
    assert_eq!(
        names.choose(Some(2)).map(|c| c.kind),
        Err(NoChart::NoNumber)
    );
}
