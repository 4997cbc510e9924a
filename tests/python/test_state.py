"""Reset (/_sagemaker-images/reset) and state documents (GET|POST /_sagemaker-images/state, serve --init-state)."""
import copy
import json

import pytest

from conftest import ACCOUNT, REGION, ROLE_ARN, image_arn, make_client

BASE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"
OTHER_BASE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:2"
KERNELS = {"KernelSpecs": [{"Name": "python3", "DisplayName": "Python 3"}]}
TEAM_TAG = [{"Key": "team", "Value": "ml"}]
PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def image_names(sm):
    return [i["ImageName"] for i in sm.list_images()["Images"]]


# --- reset ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_sagemaker-images/reset", "/_localstack/state/reset"])
def test_reset_forgets_everything(client, control, path):
    sm = client
    token = "reset-client-token"
    sm.create_image(ImageName="again", RoleArn=ROLE_ARN, Tags=TEAM_TAG)
    sm.create_image_version(ImageName="again", BaseImage=BASE_IMAGE, ClientToken=token)
    sm.create_image_version(ImageName="again", BaseImage=BASE_IMAGE)
    sm.create_app_image_config(AppImageConfigName="config", KernelGatewayImageConfig=KERNELS)
    control.add_outcome("CreateImage", "fail", image_name="again", failureReason="should have been reset")

    assert "reset" in control.ok("POST", path)
    assert image_names(sm) == []
    assert sm.list_app_image_configs()["AppImageConfigs"] == []
    assert control.outcomes() == []

    sm.create_image(ImageName="again", RoleArn=ROLE_ARN)
    assert sm.describe_image(ImageName="again")["ImageStatus"] == "CREATED"  # the outcome rule went too
    assert sm.list_tags(ResourceArn=image_arn("again"))["Tags"] == []
    # The ClientToken is forgotten: reused with another BaseImage, it makes a new version, numbered from 1.
    arn = sm.create_image_version(ImageName="again", BaseImage=OTHER_BASE_IMAGE, ClientToken=token)["ImageVersionArn"]
    assert arn == f"{PREFIX}:image-version/again/1"
    assert sm.describe_image_version(ImageName="again", Version=1)["BaseImage"] == OTHER_BASE_IMAGE


def test_reset_of_one_region_leaves_the_others(endpoint, control):
    east, west = make_client(endpoint), make_client(endpoint, region="us-west-2")
    for sm in (east, west):
        sm.create_image(ImageName="regional", RoleArn=ROLE_ARN)
    assert control.reset(region="us-west-2")["reset"]["region"] == "us-west-2"
    assert image_names(west) == []
    assert image_names(east) == ["regional"]


# --- state documents -----------------------------------------------------------------------------------------

SEED = {
    "accounts": {
        ACCOUNT: {
            REGION: {
                "Images": [
                    {
                        "ImageName": "seeded",
                        "RoleArn": ROLE_ARN,
                        "Description": "from a document",
                        "DisplayName": "Seeded",
                        "Tags": TEAM_TAG,
                    }
                ],
                "ImageVersions": [
                    {"ImageName": "seeded", "BaseImage": BASE_IMAGE},
                    {"ImageName": "seeded", "BaseImage": OTHER_BASE_IMAGE, "Aliases": ["latest"]},
                ],
                "AppImageConfigs": [
                    {"AppImageConfigName": "seeded-config", "KernelGatewayImageConfig": KERNELS, "Tags": TEAM_TAG}
                ],
            }
        }
    }
}
SEED_ARNS = sorted(
    [
        f"{PREFIX}:image/seeded",
        f"{PREFIX}:image-version/seeded/1",
        f"{PREFIX}:image-version/seeded/2",
        f"{PREFIX}:app-image-config/seeded-config",
    ]
)


def assert_seeded(sm):
    image = sm.describe_image(ImageName="seeded")
    assert (image["ImageStatus"], image["Description"], image["DisplayName"]) == ("CREATED", "from a document", "Seeded")
    assert sm.list_tags(ResourceArn=image_arn("seeded"))["Tags"] == TEAM_TAG
    versions = [sm.describe_image_version(ImageName="seeded", Version=v) for v in (1, 2)]
    assert [(v["ImageVersionStatus"], v["BaseImage"]) for v in versions] == [
        ("CREATED", BASE_IMAGE),
        ("CREATED", OTHER_BASE_IMAGE),
    ]
    assert sm.list_aliases(ImageName="seeded", Version=2)["SageMakerImageVersionAliases"] == ["latest"]
    assert sm.describe_image_version(ImageName="seeded", Alias="latest")["Version"] == 2
    config = sm.describe_app_image_config(AppImageConfigName="seeded-config")
    assert config["KernelGatewayImageConfig"]["KernelSpecs"] == KERNELS["KernelSpecs"]
    assert sm.list_tags(ResourceArn=config["AppImageConfigArn"])["Tags"] == TEAM_TAG


def test_state_document_creates_settled_resources_once(client, control):
    first = control.apply_state(SEED)
    assert first.status == 200, first
    assert (sorted(first.body["created"]), first.body["existing"]) == (SEED_ARNS, [])
    assert_seeded(client)
    before = client.describe_image(ImageName="seeded")

    second = control.apply_state(SEED)
    assert second.status == 200, second
    assert (second.body["created"], sorted(second.body["existing"])) == ([], SEED_ARNS)
    assert client.describe_image(ImageName="seeded")["LastModifiedTime"] == before["LastModifiedTime"]
    assert len(client.list_image_versions(ImageName="seeded")["ImageVersions"]) == 2


def without_times(value):
    """The document with every *Time member left out and every list in a fixed order."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if not k.endswith("Time")}
    if isinstance(value, list):
        return sorted((without_times(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def test_state_fed_back_after_reset_recreates_the_same_resources(client, control):
    control.apply_state(SEED)
    client.create_image(ImageName="made-by-api", RoleArn=ROLE_ARN, DisplayName="API")
    saved = control.state()
    region = saved["accounts"][ACCOUNT][REGION]
    assert sorted(i["ImageName"] for i in region["Images"]) == ["made-by-api", "seeded"]
    assert {i["ImageName"]: i["ImageStatus"] for i in region["Images"]} == {"made-by-api": "CREATED", "seeded": "CREATED"}
    assert next(i for i in region["Images"] if i["ImageName"] == "seeded")["Tags"] == TEAM_TAG
    assert sorted((v["Version"], v.get("Aliases", [])) for v in region["ImageVersions"]) == [(1, []), (2, ["latest"])]

    control.reset()
    assert image_names(client) == []
    applied = control.apply_state(copy.deepcopy(saved))
    assert applied.status == 200, applied
    assert sorted(applied.body["created"]) == sorted([*SEED_ARNS, image_arn("made-by-api")])
    assert without_times(control.state()) == without_times(saved)
    assert_seeded(client)
    assert client.describe_image(ImageName="made-by-api")["DisplayName"] == "API"


def with_entry(kind, index, entry):
    document = copy.deepcopy(SEED)
    document["accounts"][ACCOUNT][REGION][kind].insert(index, entry)
    return document


@pytest.mark.parametrize(
    "document, path, member",
    [
        pytest.param(
            with_entry("Images", 1, {"ImageName": "badly-roled", "RoleArn": "not-an-iam-role-arn-at-all"}),
            f"accounts.{ACCOUNT}.{REGION}.Images[1]",
            "'roleArn'",
            id="RoleArn",
        ),
        pytest.param(
            with_entry("ImageVersions", 2, {"ImageName": "bad_name!", "BaseImage": BASE_IMAGE}),
            f"accounts.{ACCOUNT}.{REGION}.ImageVersions[2]",
            "'imageName'",
            id="ImageVersion-ImageName",
        ),
        pytest.param(
            with_entry("AppImageConfigs", 0, {"AppImageConfigName": "bad_name!"}),
            f"accounts.{ACCOUNT}.{REGION}.AppImageConfigs[0]",
            "'appImageConfigName'",
            id="AppImageConfigName",
        ),
    ],
)
def test_invalid_state_document_is_refused_whole(client, control, document, path, member):
    answer = control.apply_state(document)
    assert answer.status == 400, answer
    assert answer.error_type == "ValidationException"
    assert answer.error_message.startswith(f"{path}: 1 validation error detected: Value "), answer.error_message
    assert f"at {member} failed to satisfy constraint" in answer.error_message
    assert image_names(client) == []
    assert client.list_app_image_configs()["AppImageConfigs"] == []


def test_serve_init_state(start_server, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(SEED))
    endpoint = start_server("--init-state", str(seed))
    assert_seeded(make_client(endpoint))
