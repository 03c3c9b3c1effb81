//! Tables as the operator commands print them.

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};

pub(crate) fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    table
}
