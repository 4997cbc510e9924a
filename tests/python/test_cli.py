"""The AWS CLI (v1, from requirements-test.txt) against the server."""
import json

from conftest import ROLE_ARN, image_arn


def ok_json(result):
    assert result.returncode == 0, f"exit {result.returncode}; stderr: {result.stderr}"
    return json.loads(result.stdout)


def test_update_image_and_delete_properties(aws):
    name = "Cli-Image"
    arn = image_arn(name)
    assert ok_json(aws("create-image", "--image-name", name, "--role-arn", ROLE_ARN, "--description", "old")) == {
        "ImageArn": arn
    }

    out = ok_json(aws("update-image", "--image-name", name, "--description", "new", "--display-name", "Name"))
    assert out == {"ImageArn": "arn:aws:sagemaker:us-east-1:000000000000:image/cli-image"}

    described = ok_json(aws("describe-image", "--image-name", name))
    assert described["ImageName"] == name
    assert described["ImageArn"] == arn
    assert described["ImageStatus"] == "CREATED"
    assert described["Description"] == "new"
    assert described["DisplayName"] == "Name"
    assert described["RoleArn"] == ROLE_ARN

    assert ok_json(aws("update-image", "--image-name", name, "--delete-properties", "Description")) == {"ImageArn": arn}
    described = ok_json(aws("describe-image", "--image-name", name))
    assert "Description" not in described
    assert described["DisplayName"] == "Name"
    assert described["ImageStatus"] == "CREATED"


def test_update_missing_image_fails_with_resource_not_found(aws):
    result = aws("update-image", "--image-name", "missing", "--description", "x")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "An error occurred (ResourceNotFound) when calling the UpdateImage operation" in result.stderr
    assert "does not exist" in result.stderr


def test_validation_error_has_aws_wording(aws):
    name = "cli-validated"
    ok_json(aws("create-image", "--image-name", name, "--role-arn", ROLE_ARN, "--display-name", "Kept"))
    result = aws("update-image", "--image-name", name, "--display-name", " x")
    assert result.returncode != 0
    assert "An error occurred (ValidationException) when calling the UpdateImage operation" in result.stderr
    assert "1 validation error detected: Value ' x' at 'displayName' failed to satisfy constraint" in result.stderr
    assert "Member must satisfy regular expression pattern" in result.stderr
    assert ok_json(aws("describe-image", "--image-name", name))["DisplayName"] == "Kept"


def test_list_images_auto_paginates(aws):
    names = [f"cli-list-{i}" for i in range(5)]
    for name in names:
        ok_json(aws("create-image", "--image-name", name, "--role-arn", ROLE_ARN))
    out = ok_json(aws("list-images", "--page-size", "2", "--sort-by", "IMAGE_NAME", "--sort-order", "ASCENDING"))
    assert [i["ImageName"] for i in out["Images"]] == names
    assert "NextToken" not in out


def test_wait_image_deleted_after_delete_image(aws):
    """The CLI's stock `wait image-deleted` returns once the image is gone (see WAITER_NOT_FOUND_CODE)."""
    name = "cli-deleted"
    ok_json(aws("create-image", "--image-name", name, "--role-arn", ROLE_ARN))
    deleted = aws("delete-image", "--image-name", name)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == ""

    waited = aws("wait", "image-deleted", "--image-name", name)
    assert waited.returncode == 0, f"exit {waited.returncode}; stderr: {waited.stderr}"
    assert waited.stdout == "" and waited.stderr == ""

    # Outside a waiter, a missing image is the model's ResourceNotFound.
    gone = aws("describe-image", "--image-name", name)
    assert gone.returncode != 0
    assert "(ResourceNotFound)" in gone.stderr and "does not exist" in gone.stderr


def test_wait_image_created(aws):
    name = "cli-created"
    ok_json(aws("create-image", "--image-name", name, "--role-arn", ROLE_ARN))
    waited = aws("wait", "image-created", "--image-name", name)
    assert waited.returncode == 0, waited.stderr
    assert ok_json(aws("describe-image", "--image-name", name))["ImageStatus"] == "CREATED"
