//! Policy evaluation for identity-based policies, as "Policy evaluation logic" in the IAM user guide
//! gives it: an explicit Deny in any statement wins; otherwise an Allow is needed; otherwise the request
//! is denied implicitly.

use super::context::Context;
use super::policy::{Effect, Policy, Statement};

/// One request to authorise: the action (`sagemaker:CreateImage`), the ARN it acts on, its context.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows the request.
    ImplicitDeny,
    /// A statement denies it.
    ExplicitDeny,
}

/// A decision and its reason: the statement that made it (none for an implicit deny).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict<'p> {
    pub decision: Decision,
    pub statement: Option<&'p str>,
}

fn applies(statement: &Statement, request: &Request) -> bool {
    let actions = &statement.actions;
    let action_listed = actions
        .patterns
        .iter()
        .any(|pattern| pattern.matches(request.action, true, request.context));
    if action_listed == actions.except {
        return false;
    }
    let resources = &statement.resources;
    let resource_listed = resources
        .patterns
        .iter()
        .any(|pattern| pattern.matches(request.resource, request.context));
    if resource_listed == resources.except {
        return false;
    }
    statement
        .conditions
        .iter()
        .all(|condition| condition.holds(request.context))
}

/// Evaluates `request` against all of `policies` together.
pub fn evaluate<'p>(policies: &'p [Policy], request: &Request) -> Verdict<'p> {
    let mut allowed_by = None;
    for statement in policies.iter().flat_map(|policy| &policy.statements) {
        // A Deny decides at once; an Allow is only noted, since a later Deny would win.
        match statement.effect {
            Effect::Deny if applies(statement, request) => {
                return Verdict {
                    decision: Decision::ExplicitDeny,
                    statement: Some(&statement.label),
                };
            }
            Effect::Allow if allowed_by.is_none() && applies(statement, request) => {
                allowed_by = Some(statement.label.as_str());
            }
            _ => {}
        }
    }
    Verdict {
        decision: match allowed_by {
            Some(_) => Decision::Allow,
            None => Decision::ImplicitDeny,
        },
        statement: allowed_by,
    }
}
