"""boto3's paginators over ListImages and ListTags."""
import random

from conftest import ROLE_ARN, image_arn

IMAGE_COUNT = 25


def create_images(sm, count=IMAGE_COUNT):
    names = [f"pg-{i:02d}" for i in range(count)]
    creation_order = names[:]
    random.Random(7).shuffle(creation_order)  # name order differs from creation order
    assert creation_order != names
    for name in creation_order:
        sm.create_image(ImageName=name, RoleArn=ROLE_ARN)
    return names


def test_list_images_paginator_yields_every_image_once(client):
    names = create_images(client)
    max_results = []
    client.meta.events.register(
        "before-parameter-build.sagemaker.ListImages", lambda params, **_: max_results.append(params.get("MaxResults"))
    )

    pages = list(client.get_paginator("list_images").paginate(PaginationConfig={"PageSize": 7}))
    assert [len(p["Images"]) for p in pages] == [7, 7, 7, 4]
    assert max_results == [7, 7, 7, 7]
    assert all("NextToken" in p for p in pages[:-1]) and "NextToken" not in pages[-1]
    seen = [i["ImageName"] for p in pages for i in p["Images"]]
    assert len(seen) == len(set(seen)) == IMAGE_COUNT
    assert set(seen) == set(names)
    for page in pages:
        for image in page["Images"]:
            assert image["ImageArn"] == image_arn(image["ImageName"])
            assert image["ImageStatus"] == "CREATED"


def test_list_images_paginator_sorted_by_name(client):
    names = create_images(client)
    paginator = client.get_paginator("list_images")

    ascending = paginator.paginate(SortBy="IMAGE_NAME", SortOrder="ASCENDING", PaginationConfig={"PageSize": 7})
    assert [i["ImageName"] for p in ascending for i in p["Images"]] == sorted(names)

    descending = paginator.paginate(SortBy="IMAGE_NAME", SortOrder="DESCENDING", PaginationConfig={"PageSize": 7})
    assert [i["ImageName"] for p in descending for i in p["Images"]] == sorted(names, reverse=True)


def test_list_images_paginator_resumes_from_starting_token(client):
    names = create_images(client)
    paginator = client.get_paginator("list_images")
    query = {"SortBy": "IMAGE_NAME", "SortOrder": "ASCENDING"}

    first = paginator.paginate(**query, PaginationConfig={"PageSize": 7, "MaxItems": 10}).build_full_result()
    assert [i["ImageName"] for i in first["Images"]] == sorted(names)[:10]
    assert first["NextToken"]
    rest = paginator.paginate(
        **query, PaginationConfig={"PageSize": 7, "StartingToken": first["NextToken"]}
    ).build_full_result()
    assert [i["ImageName"] for i in rest["Images"]] == sorted(names)[10:]
    assert "NextToken" not in rest


def test_list_images_paginator_with_name_filter(client):
    create_images(client)
    pages = client.get_paginator("list_images").paginate(
        NameContains="PG-1", SortBy="IMAGE_NAME", SortOrder="ASCENDING", PaginationConfig={"PageSize": 3}
    )
    assert [i["ImageName"] for p in pages for i in p["Images"]] == [f"pg-1{d}" for d in range(10)]


def test_list_tags_paginator_yields_tags(client):
    name = "tagged-image"
    arn = client.create_image(
        ImageName=name, RoleArn=ROLE_ARN, Tags=[{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "test"}]
    )["ImageArn"]
    assert arn == image_arn(name)
    # 48 more, keys deliberately not in alphabetical order: a resource holds at most 50 tags.
    more = [{"Key": f"k{(i * 17) % 48:02d}", "Value": f"v{i}"} for i in range(48)]
    client.add_tags(ResourceArn=arn, Tags=more[:30])
    client.add_tags(ResourceArn=arn, Tags=more[30:])
    expected = [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "test"}] + more
    paginator = client.get_paginator("list_tags")

    pages = list(paginator.paginate(ResourceArn=arn, PaginationConfig={"PageSize": 50}))
    tags = [t for p in pages for t in p["Tags"]]
    assert sorted(tags, key=lambda t: t["Key"]) == sorted(expected, key=lambda t: t["Key"])
    assert len({t["Key"] for t in tags}) == 50
    # README: ListTags lists tags in the order they were first added.
    assert tags == expected

    # Client-side chunks of 7 (botocore truncates pages and resumes with its own starting token).
    collected, token = [], None
    while True:
        config = {"PageSize": 50, "MaxItems": 7}
        if token:
            config["StartingToken"] = token
        chunk = paginator.paginate(ResourceArn=arn, PaginationConfig=config).build_full_result()
        assert 1 <= len(chunk["Tags"]) <= 7
        collected += chunk["Tags"]
        token = chunk.get("NextToken")
        if not token:
            break
    assert collected == tags


def test_list_tags_paginator_after_delete_tags(client):
    arn = client.create_image(
        ImageName="few-tags", RoleArn=ROLE_ARN, Tags=[{"Key": k, "Value": k.upper()} for k in ("a", "b", "c")]
    )["ImageArn"]
    client.delete_tags(ResourceArn=arn, TagKeys=["b"])
    tags = client.get_paginator("list_tags").paginate(ResourceArn=arn).build_full_result()["Tags"]
    assert tags == [{"Key": "a", "Value": "A"}, {"Key": "c", "Value": "C"}]
