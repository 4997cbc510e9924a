//! Authorisation: the identity-based policies of an access key, evaluated as IAM evaluates them.
//!
//! A pure function of (principal, action, resource, context) → decision with its reason. It knows no
//! HTTP and no storage, and of SageMaker only the action table (`actions`); the server reads a request
//! into an action, a resource and a [`Context`], and words a [`Denial`] for the wire.
//!
//! `policy` is the grammar (read once, at start, with precise errors), `pattern` and `arn` the wildcard
//! matching, `condition` the operators, `evaluate` the decision.

pub mod actions;
mod arn;
mod condition;
mod context;
mod evaluate;
mod pattern;
mod policy;
#[cfg(test)]
mod proofs;

pub use context::{Context, Value};
pub use evaluate::{evaluate, Decision, Request, Verdict};
pub use policy::{Policy, PolicyError};

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::SystemTime;

/// A key's principal with its policies.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    user: String,
    arn: String,
    account: String,
    policies: Vec<Policy>,
    /// Some policy reads `aws:ResourceTag/…`: only then does a request need the resource's stored tags.
    reads_resource_tags: bool,
}

/// A refused request: who asked for what, and whether a statement denied it or none allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub explicit: bool,
}

impl Identity {
    /// The IAM user `user` of `account` (principal `arn:aws:iam::<account>:user/<user>`), under all of
    /// `policies` together.
    pub fn new(account: &str, user: &str, policies: Vec<Policy>) -> Identity {
        let reads_resource_tags = policies
            .iter()
            .flat_map(Policy::condition_keys)
            .any(|key| key.starts_with("aws:resourcetag/"));
        Identity {
            user: user.to_owned(),
            arn: format!("arn:aws:iam::{account}:user/{user}"),
            account: account.to_owned(),
            policies,
            reads_resource_tags,
        }
    }

    pub fn reads_resource_tags(&self) -> bool {
        self.reads_resource_tags
    }

    /// The condition keys every request of this principal has: who, where, when, and how it arrived.
    pub fn context<'a>(
        &'a self,
        region: &'a str,
        source_ip: Option<IpAddr>,
        now: SystemTime,
    ) -> Context<'a> {
        // The principal's nine keys, and room for a request's tags.
        let mut context = Context::with_capacity(16);
        let text = |value: &'a str| Value::Text(Cow::Borrowed(value));
        context.insert_new("aws:username", text(&self.user));
        context.insert_new("aws:principalarn", text(&self.arn));
        context.insert_new("aws:principalaccount", text(&self.account));
        context.insert_new("aws:principaltype", text("User"));
        context.insert_new("aws:requestedregion", text(region));
        context.insert_new("aws:currenttime", Value::Time(now));
        // The server speaks plain HTTP only, and every call comes straight from its caller.
        context.insert_new("aws:securetransport", Value::Bool(false));
        context.insert_new("aws:viaawsservice", Value::Bool(false));
        if let Some(ip) = source_ip {
            context.insert_new("aws:sourceip", Value::Ip(ip));
        }
        context
    }

    /// Allows `action` on `resource`, or says why not.
    pub fn authorize(
        &self,
        action: &str,
        resource: &str,
        context: &Context,
    ) -> Result<Verdict<'_>, Denial> {
        let request = Request {
            action,
            resource,
            context,
        };
        let verdict = evaluate(&self.policies, &request);
        match verdict.decision {
            Decision::Allow => Ok(verdict),
            decision => Err(Denial {
                principal: self.arn.clone(),
                action: action.to_owned(),
                resource: resource.to_owned(),
                explicit: decision == Decision::ExplicitDeny,
            }),
        }
    }
}
