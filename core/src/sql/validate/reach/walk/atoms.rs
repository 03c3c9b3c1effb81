//! The smallest parts an expression is made of: the operators, literals
//! and types the walk allows, each named.

use sqlparser::ast::{BinaryOperator, DataType, Expr, Value};

use crate::sql::validate::functions::spec;
use crate::sql::validate::syntax::called;
use crate::sql::validate::{Foreign, Refusal, Unreadable};

use super::{Judged, Walker, foreign, unverifiable};

impl Walker<'_> {
    pub(super) fn operator(op: &BinaryOperator) -> Judged {
        match op {
            BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::StringConcat
            | BinaryOperator::Gt
            | BinaryOperator::Lt
            | BinaryOperator::GtEq
            | BinaryOperator::LtEq
            | BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::And
            | BinaryOperator::Or
            | BinaryOperator::Xor
            | BinaryOperator::BitwiseOr
            | BinaryOperator::BitwiseAnd
            | BinaryOperator::BitwiseXor
            | BinaryOperator::PGBitwiseXor
            | BinaryOperator::PGBitwiseShiftLeft
            | BinaryOperator::PGBitwiseShiftRight
            | BinaryOperator::PGExp
            | BinaryOperator::PGOverlap
            | BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch
            | BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch
            | BinaryOperator::PGStartsWith
            | BinaryOperator::Arrow
            | BinaryOperator::LongArrow
            | BinaryOperator::HashArrow
            | BinaryOperator::HashLongArrow
            | BinaryOperator::AtArrow
            | BinaryOperator::ArrowAt
            | BinaryOperator::HashMinus
            | BinaryOperator::Question
            | BinaryOperator::QuestionAnd
            | BinaryOperator::QuestionPipe
            | BinaryOperator::Overlaps
            | BinaryOperator::Glob => Ok(()),
            // OPERATOR(schema.op) and user-defined operators run whatever
            // function they were defined with; SQLite runs REGEXP and MATCH
            // as the application's functions regexp() and match().
            BinaryOperator::Regexp
            | BinaryOperator::Match
            | BinaryOperator::Custom(_)
            | BinaryOperator::PGCustomBinaryOperator(_)
            | BinaryOperator::Spaceship
            | BinaryOperator::DuckIntegerDivide
            | BinaryOperator::MyIntegerDivide
            | BinaryOperator::AtAt
            | BinaryOperator::AtQuestion
            | BinaryOperator::DoubleHash
            | BinaryOperator::LtDashGt
            | BinaryOperator::AndLt
            | BinaryOperator::AndGt
            | BinaryOperator::LtLtPipe
            | BinaryOperator::PipeGtGt
            | BinaryOperator::AndLtPipe
            | BinaryOperator::PipeAndGt
            | BinaryOperator::LtCaret
            | BinaryOperator::GtCaret
            | BinaryOperator::QuestionHash
            | BinaryOperator::QuestionDash
            | BinaryOperator::QuestionDashPipe
            | BinaryOperator::QuestionDoublePipe
            | BinaryOperator::At
            | BinaryOperator::TildeEq
            | BinaryOperator::Assignment => Err(unverifiable(Unreadable::Operator(op.to_string()))),
        }
    }

    /// Literals whose reading the checker and the database agree on.
    pub(super) fn literal(value: &Value) -> Judged {
        match value {
            Value::Number(..)
            | Value::SingleQuotedString(_)
            | Value::NationalStringLiteral(_)
            | Value::QuoteDelimitedStringLiteral(_)
            | Value::NationalQuoteDelimitedStringLiteral(_)
            | Value::HexStringLiteral(_)
            | Value::DoubleQuotedString(_)
            | Value::Boolean(_)
            | Value::Null => Ok(()),
            Value::Placeholder(p) => Err(Refusal::Placeholder(p.clone())),
            Value::DollarQuotedString(_)
            | Value::TripleSingleQuotedString(_)
            | Value::TripleDoubleQuotedString(_)
            | Value::EscapedStringLiteral(_)
            | Value::UnicodeStringLiteral(_)
            | Value::SingleQuotedByteStringLiteral(_)
            | Value::DoubleQuotedByteStringLiteral(_)
            | Value::TripleSingleQuotedByteStringLiteral(_)
            | Value::TripleDoubleQuotedByteStringLiteral(_)
            | Value::SingleQuotedRawStringLiteral(_)
            | Value::DoubleQuotedRawStringLiteral(_)
            | Value::TripleSingleQuotedRawStringLiteral(_)
            | Value::TripleDoubleQuotedRawStringLiteral(_) => Err(foreign(Foreign::Literal)),
        }
    }

    /// Types a value may be cast to: the ordinary scalar types. Not
    /// `regclass`, `regproc` and the like (catalogue lookups by name), not
    /// XML (a parser that can fetch external entities), not types of
    /// extensions or of the company's schemas.
    pub(super) fn data_type(&mut self, data_type: &DataType) -> Judged {
        self.tell(|w| w.data_type(data_type))?;
        match data_type {
            DataType::Character(_)
            | DataType::Char(_)
            | DataType::CharacterVarying(_)
            | DataType::CharVarying(_)
            | DataType::Varchar(_)
            | DataType::Nvarchar(_)
            | DataType::Uuid
            | DataType::Clob(_)
            | DataType::Numeric(_)
            | DataType::Decimal(_)
            | DataType::Dec(_)
            | DataType::Float(_)
            | DataType::TinyInt(_)
            | DataType::SmallInt(_)
            | DataType::Int(_)
            | DataType::Int2(_)
            | DataType::Int4(_)
            | DataType::Int8(_)
            | DataType::Integer(_)
            | DataType::BigInt(_)
            | DataType::Float4
            | DataType::Float8
            | DataType::Real
            | DataType::Double(_)
            | DataType::DoublePrecision
            | DataType::Bool
            | DataType::Boolean
            | DataType::Date
            | DataType::Time(..)
            | DataType::Datetime(_)
            | DataType::Timestamp(..)
            | DataType::Interval { .. }
            | DataType::JSON
            | DataType::JSONB
            | DataType::Text
            | DataType::Bytea
            | DataType::Blob(_) => Ok(()),
            DataType::Array(sqlparser::ast::ArrayElemTypeDef::SquareBracket(inner, _))
            | DataType::Array(sqlparser::ast::ArrayElemTypeDef::AngleBracket(inner))
            | DataType::Array(sqlparser::ast::ArrayElemTypeDef::Parenthesis(inner)) => {
                self.data_type(inner)
            }
            DataType::Custom(name, _) => {
                // Oracle's own scalar types, which sqlparser does not know.
                const ORACLE: &[&str] = &[
                    "VARCHAR2",
                    "NVARCHAR2",
                    "NUMBER",
                    "BINARY_FLOAT",
                    "BINARY_DOUBLE",
                    "NCHAR",
                    "NCLOB",
                    "RAW",
                    // PostgreSQL's.
                    "MONEY",
                ];
                let written = name.to_string().to_ascii_uppercase();
                if ORACLE.contains(&written.as_str()) {
                    Ok(())
                } else {
                    Err(unverifiable(Unreadable::CastTo(name.to_string())))
                }
            }
            other => Err(unverifiable(Unreadable::CastTo(other.to_string()))),
        }
    }
}

/// Whether `expr` is a call that builds a text-search query.
pub(super) fn builds_tsquery(expr: &Expr) -> bool {
    let expr = match expr {
        Expr::Nested(e) => e,
        other => other,
    };
    called(expr).is_some_and(|name| spec(&name).is_some_and(|f| f.builds_tsquery))
}
