//! The grammar of an identity-based policy ("IAM JSON policy element reference"), read once when the
//! server starts. Every element this server does not evaluate is refused with the statement it is in,
//! never ignored: a policy that loads means what it says.

use serde_json::{Map, Value as Json};

use super::arn::{ArnPattern, ArnPatternError};
use super::condition::{Condition, ConditionError};
use super::pattern::Pattern;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or all but them (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher<T> {
    pub except: bool,
    pub patterns: Vec<T>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// How errors and decisions name it: its position from 1, and its `Sid` if it has one.
    pub label: String,
    pub effect: Effect,
    /// Matched without regard to case, as IAM matches actions.
    pub actions: Matcher<Pattern>,
    pub resources: Matcher<ArnPattern>,
    /// All must hold.
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// A policy that cannot be loaded: which statement (if the fault is in one), and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}", .statement.as_ref().map(|s| format!("statement {s}: ")).unwrap_or_default(), .problem)]
pub struct PolicyError {
    pub statement: Option<String>,
    pub problem: Box<Problem>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("a policy must be a JSON object")]
    NotAnObject,
    #[error("Version '{0}' is not one of 2012-10-17 and 2008-10-17")]
    UnknownVersion(String),
    #[error("'{0}' is not a policy element")]
    UnknownElement(String),
    #[error("the policy has no Statement")]
    NoStatement,
    #[error("a statement must be a JSON object")]
    StatementNotAnObject,
    #[error("'{0}' must be a string")]
    NotAString(&'static str),
    #[error("'{0}' must be a string or a list of strings")]
    NotStrings(&'static str),
    #[error("Effect must be \"Allow\" or \"Deny\", not {0}")]
    BadEffect(String),
    #[error("Effect is missing")]
    NoEffect,
    #[error(
        "{0} is an element of resource-based policies; an identity-based policy applies to its key"
    )]
    PrincipalElement(&'static str),
    #[error("one of {0} and {1} is required")]
    Missing(&'static str, &'static str),
    #[error("{0} and {1} cannot both be given")]
    Both(&'static str, &'static str),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("action '{0}' is neither '*' nor service:action (such as sagemaker:DescribeImage)")]
    BadAction(String),
    #[error("Resource {0}")]
    Resource(ArnPatternError),
    #[error("Condition must map operators to objects of condition keys")]
    ConditionNotAnObject,
    #[error("Condition {0}")]
    Condition(ConditionError),
    #[error("Sid \"{0}\" is used by an earlier statement")]
    RepeatedSid(String),
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let whole = |problem| PolicyError {
            statement: None,
            problem: Box::new(problem),
        };
        let document: Json =
            serde_json::from_str(text).map_err(|e| whole(Problem::NotJson(e.to_string())))?;
        let Json::Object(document) = document else {
            return Err(whole(Problem::NotAnObject));
        };
        let mut variables = false;
        let mut statements = None;
        for (element, value) in &document {
            match element.as_str() {
                "Version" => {
                    variables = match value.as_str() {
                        Some("2012-10-17") => true,
                        Some("2008-10-17") => false,
                        _ => return Err(whole(Problem::UnknownVersion(shown(value)))),
                    }
                }
                "Id" if value.is_string() => {}
                "Id" => return Err(whole(Problem::NotAString("Id"))),
                "Statement" => statements = Some(value),
                other => return Err(whole(Problem::UnknownElement(other.to_owned()))),
            }
        }
        let listed: Vec<&Json> = match statements {
            None => return Err(whole(Problem::NoStatement)),
            Some(Json::Array(list)) => list.iter().collect(),
            Some(one) => vec![one],
        };
        let mut sids = std::collections::HashSet::new();
        let mut statements = Vec::with_capacity(listed.len());
        for (index, statement) in listed.into_iter().enumerate() {
            let sid = statement.get("Sid").and_then(Json::as_str);
            let label = match sid {
                Some(sid) => format!("{} (Sid \"{sid}\")", index + 1),
                None => (index + 1).to_string(),
            };
            let at = |problem| PolicyError {
                statement: Some(label.clone()),
                problem: Box::new(problem),
            };
            if let Some(sid) = sid {
                if !sids.insert(sid) {
                    return Err(at(Problem::RepeatedSid(sid.to_owned())));
                }
            }
            let Json::Object(elements) = statement else {
                return Err(at(Problem::StatementNotAnObject));
            };
            let statement = read_statement(elements, label.clone(), variables).map_err(at)?;
            statements.push(statement);
        }
        Ok(Policy { statements })
    }

    /// Every condition key the policy reads, in its conditions and in its policy variables.
    pub fn condition_keys(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().flat_map(|statement| {
            let variables = statement
                .resources
                .patterns
                .iter()
                .flat_map(ArnPattern::variable_keys);
            let conditions = statement
                .conditions
                .iter()
                .flat_map(|c| std::iter::once(c.key()).chain(c.variable_keys()));
            variables.chain(conditions)
        })
    }
}

/// A JSON value as an error message quotes it.
fn shown(value: &Json) -> String {
    match value {
        Json::String(text) => format!("\"{text}\""),
        other => other.to_string(),
    }
}

fn strings<'a>(value: &'a Json, element: &'static str) -> Result<Vec<&'a str>, Problem> {
    let list: Vec<&str> = match value {
        Json::String(one) => vec![one.as_str()],
        Json::Array(items) => items
            .iter()
            .map(Json::as_str)
            .collect::<Option<_>>()
            .ok_or(Problem::NotStrings(element))?,
        _ => return Err(Problem::NotStrings(element)),
    };
    if list.is_empty() {
        return Err(Problem::Empty(element));
    }
    Ok(list)
}

/// The one of `positive` and `negative` the statement gives, and whether it was the negative one.
fn either<'a>(
    elements: &'a Map<String, Json>,
    positive: &'static str,
    negative: &'static str,
) -> Result<(bool, Vec<&'a str>), Problem> {
    match (elements.get(positive), elements.get(negative)) {
        (Some(_), Some(_)) => Err(Problem::Both(positive, negative)),
        (Some(value), None) => Ok((false, strings(value, positive)?)),
        (None, Some(value)) => Ok((true, strings(value, negative)?)),
        (None, None) => Err(Problem::Missing(positive, negative)),
    }
}

fn read_statement(
    elements: &Map<String, Json>,
    label: String,
    variables: bool,
) -> Result<Statement, Problem> {
    for element in elements.keys() {
        match element.as_str() {
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource"
            | "Condition" => {}
            "Principal" => return Err(Problem::PrincipalElement("Principal")),
            "NotPrincipal" => return Err(Problem::PrincipalElement("NotPrincipal")),
            other => return Err(Problem::UnknownElement(other.to_owned())),
        }
    }
    if elements.get("Sid").is_some_and(|sid| !sid.is_string()) {
        return Err(Problem::NotAString("Sid"));
    }
    let effect = match elements.get("Effect") {
        None => return Err(Problem::NoEffect),
        Some(Json::String(effect)) if effect == "Allow" => Effect::Allow,
        Some(Json::String(effect)) if effect == "Deny" => Effect::Deny,
        Some(other) => return Err(Problem::BadEffect(shown(other))),
    };
    let (except, listed) = either(elements, "Action", "NotAction")?;
    let actions = Matcher {
        except,
        patterns: listed
            .into_iter()
            .map(read_action)
            .collect::<Result<_, _>>()?,
    };
    let (except, listed) = either(elements, "Resource", "NotResource")?;
    let resources = Matcher {
        except,
        patterns: listed
            .into_iter()
            .map(|text| ArnPattern::parse(text, variables).map_err(Problem::Resource))
            .collect::<Result<_, _>>()?,
    };
    let mut conditions = Vec::new();
    match elements.get("Condition") {
        None => {}
        Some(Json::Object(blocks)) => {
            for (operator, keys) in blocks {
                conditions.extend(
                    Condition::parse_block(operator, keys, variables)
                        .map_err(Problem::Condition)?,
                );
            }
        }
        Some(_) => return Err(Problem::ConditionNotAnObject),
    }
    Ok(Statement {
        label,
        effect,
        actions,
        resources,
        conditions,
    })
}

fn read_action(text: &str) -> Result<Pattern, Problem> {
    let well_formed = text == "*"
        || text.split_once(':').is_some_and(|(service, action)| {
            !service.is_empty()
                && !action.is_empty()
                && service
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !well_formed {
        return Err(Problem::BadAction(text.to_owned()));
    }
    Ok(Pattern::wildcards_only(text))
}
