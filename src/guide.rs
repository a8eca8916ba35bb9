//! The connector guide's troubleshooting table: the four symptoms users report, which scenarios and
//! checks point at so a finding says where to look. A leaf module.

use serde::{Deserialize, Serialize};

/// A row of the troubleshooting table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Row {
    #[serde(rename = "Connector fails to add")]
    Add,
    #[serde(rename = "Connect succeeds but tools fail")]
    ToolsFail,
    #[serde(rename = "Host doesn't pick the right tool")]
    Pick,
    #[serde(rename = "UI doesn't render")]
    Ui,
}

impl Row {
    pub const ALL: [Row; 4] = [Row::Add, Row::ToolsFail, Row::Pick, Row::Ui];

    /// The symptom as the guide words it.
    pub fn text(self) -> &'static str {
        match self {
            Row::Add => "Connector fails to add",
            Row::ToolsFail => "Connect succeeds but tools fail",
            Row::Pick => "Host doesn't pick the right tool",
            Row::Ui => "UI doesn't render",
        }
    }

    pub fn parse(text: &str) -> Option<Row> {
        Row::ALL.into_iter().find(|r| r.text() == text)
    }

    pub fn texts() -> impl Iterator<Item = &'static str> {
        Row::ALL.into_iter().map(Row::text)
    }
}

impl std::fmt::Display for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_from_their_text_and_serialize_as_it() {
        for row in Row::ALL {
            assert_eq!(Row::parse(row.text()), Some(row));
            assert_eq!(
                serde_json::to_value(row).unwrap(),
                serde_json::json!(row.text())
            );
        }
        assert_eq!(Row::parse("nope"), None);
    }
}
