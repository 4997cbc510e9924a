//! How a request picks out part of a resource: one version of an image, or a property of an image to
//! remove. A leaf of the domain: the decisions (`version`, `image`) and their refusals (`error`) both name
//! these, so neither of those modules imports the other for them.

/// How a request names one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSelector {
    Number(i64),
    Alias(String),
    Latest,
}

/// A property UpdateImage may remove (the model's `ImageDeleteProperty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletableProperty {
    DisplayName,
    Description,
}
