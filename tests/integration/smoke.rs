use crate::common::{create_image, image_arn, Server};

#[tokio::test]
async fn create_then_describe_through_the_sdk() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "Smoke").await;
    let image = client
        .describe_image()
        .image_name("Smoke")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.image_name(), Some("Smoke"));
    assert_eq!(image.image_arn(), Some(image_arn("Smoke").as_str()));
    let raw = server
        .raw()
        .call("DescribeImage", &serde_json::json!({"ImageName": "Smoke"}))
        .await;
    assert_eq!(raw.status, 200, "{}", raw.text);
}
