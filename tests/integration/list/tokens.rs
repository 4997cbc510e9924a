//! NextToken: through creates and deletes between pages, altered, and reused for another query.

use serde_json::{json, Value};

use super::{assert_refused, check_refused, create_in_order, raw_page, times};
use crate::common::cases::Failures;
use crate::common::{create_image, Server};

#[tokio::test]
async fn next_token_survives_creates_and_deletes_between_pages() {
    let server = Server::start();
    let client = server.client();
    let created = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"];
    create_in_order(&client, &created).await;
    let delete = |name: &'static str| {
        let client = client.clone();
        async move {
            client
                .delete_image()
                .image_name(name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("delete {name}: {e:?}"));
        }
    };

    // Newest first, three a page.
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 3, "SortBy": "CREATION_TIME", "SortOrder": "DESCENDING"}),
    )
    .await;
    assert_eq!(page, ["a8", "a7", "a6"]);
    // Between pages: delete one served image, the last one served and one not served yet; create two.
    delete("a7").await;
    delete("a6").await;
    delete("a4").await;
    create_in_order(&client, &["n1", "n2"]).await;
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 3, "SortBy": "CREATION_TIME", "SortOrder": "DESCENDING", "NextToken": token.expect("token")}),
    )
    .await;
    assert_eq!(page, ["a5", "a3", "a2"]);
    // An image deleted and recreated between pages is new: it sorts before the position and is not served
    // again.
    delete("a5").await;
    create_image(&client, "a5").await;
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 3, "SortBy": "CREATION_TIME", "SortOrder": "DESCENDING", "NextToken": token.expect("token")}),
    )
    .await;
    assert_eq!(page, ["a1", "a0"]);
    assert_eq!(token, None);

    // By name, ascending: an image created past the position is served, one created before it is not.
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 2, "SortBy": "IMAGE_NAME", "SortOrder": "ASCENDING"}),
    )
    .await;
    assert_eq!(page, ["a0", "a1"]);
    delete("a1").await; // the position itself
    delete("a3").await; // not served yet
    create_in_order(&client, &["a00", "a22", "zz"]).await;
    let mut all = page;
    let mut token = token;
    while let Some(next) = token.take() {
        let (page, next) = raw_page(
            &server,
            json!({"MaxResults": 2, "SortBy": "IMAGE_NAME", "SortOrder": "ASCENDING", "NextToken": next}),
        )
        .await;
        all.extend(page);
        token = next;
    }
    assert_eq!(all, ["a0", "a1", "a2", "a22", "a5", "a8", "n1", "n2", "zz"]);
}

#[tokio::test]
async fn altered_tokens_are_refused() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["t1", "t2", "t3"]).await;
    let (_, token) = raw_page(&server, json!({"MaxResults": 1})).await;
    let token = token.expect("token");
    // The genuine token works.
    let (page, _) = raw_page(&server, json!({"MaxResults": 1, "NextToken": token})).await;
    assert_eq!(page, ["t2"]);

    let flip = |index: usize| {
        let mut chars: Vec<char> = token.chars().collect();
        chars[index] = if chars[index] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let forged = [
        flip(0),
        flip(token.len() / 2),
        flip(token.len() - 2),
        token[..token.len() - 4].to_owned(),
        token[..10].to_owned(),
        format!("{token}A"),
        "not-a-token".to_owned(),
        "eyJxIjoiYWJjIiwiYyI6eyJzb3J0Ijp7IlRpbWUiOjB9LCJrZXkiOiIifX0".to_owned(),
        "!!!".to_owned(),
    ];
    let mut failures = Failures::default();
    for bad in forged {
        let body = json!({"MaxResults": 1, "NextToken": bad});
        let outcome = if bad == token {
            Err("the forgery is the token itself".to_owned())
        } else {
            check_refused(&server, &body, "pagination token").await
        };
        failures.check(&format!("NextToken {bad:?}"), outcome);
    }
    failures.assert_none();

    // A token of another server (another store, another secret) is no token here.
    let other = Server::start();
    create_in_order(&other.client(), &["o1", "o2"]).await;
    let (_, foreign) = raw_page(&other, json!({"MaxResults": 1})).await;
    assert_refused(
        &server,
        json!({"MaxResults": 1, "NextToken": foreign.expect("token")}),
        "pagination token",
    )
    .await;
}

#[tokio::test]
async fn a_token_continues_only_its_own_query() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["q1", "q2", "q3", "q4"]).await;
    let (bound, _, _, _) = times(&server, "q1").await;
    let query = json!({"SortBy": "CREATION_TIME", "SortOrder": "ASCENDING", "NameContains": "q", "MaxResults": 1});
    let (_, token) = raw_page(&server, query.clone()).await;
    let token = token.expect("token");
    let with = |changes: Value| {
        let mut body = query.clone();
        for (k, v) in changes.as_object().expect("object") {
            body[k] = v.clone();
        }
        body["NextToken"] = json!(token);
        body
    };
    let mut failures = Failures::default();
    for changed in [
        json!({"SortOrder": "DESCENDING"}),
        json!({"SortBy": "IMAGE_NAME"}),
        json!({"SortBy": "LAST_MODIFIED_TIME"}),
        json!({"NameContains": "q1"}),
        json!({"CreationTimeAfter": bound.secs()}),
        json!({"CreationTimeBefore": bound.secs() + 100}),
        json!({"LastModifiedTimeAfter": bound.secs()}),
        json!({"LastModifiedTimeBefore": bound.secs() + 100}),
    ] {
        let outcome = check_refused(&server, &with(changed.clone()), "pagination token").await;
        failures.check(&format!("changed {changed}"), outcome);
    }
    // Leaving a member out changes the query too.
    let mut without_filter = with(json!({}));
    without_filter
        .as_object_mut()
        .expect("object")
        .remove("NameContains");
    let outcome = check_refused(&server, &without_filter, "pagination token").await;
    failures.check("without NameContains", outcome);
    failures.assert_none();

    // The page size is not part of the query: a token continues with another MaxResults.
    let (page, next) = raw_page(&server, with(json!({"MaxResults": 3}))).await;
    assert_eq!(page, ["q2", "q3", "q4"]);
    assert_eq!(next, None);
}
