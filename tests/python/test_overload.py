"""Past the server's bound on requests in flight (--max-in-flight), calls are answered ThrottlingException at
once and applied never; botocore's standard retry mode backs off and gets every call through."""
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from botocore.config import Config

from conftest import ROLE_ARN, make_client
from control import Control


def test_standard_retries_complete_all_the_work_of_an_overloaded_server(start_server):
    endpoint = start_server("--max-in-flight", "1")
    # Each call takes a while, so that eight clients at once always find the one place taken.
    Control(endpoint).set_latency(100)
    retrying = Config(retries={"mode": "standard", "total_max_attempts": 30}, max_pool_connections=16)
    throttled = []

    def work(worker):
        sm = make_client(endpoint, config=retrying)
        names = [f"load-{worker}-{i}" for i in range(3)]
        for name in names:
            response = sm.create_image(ImageName=name, RoleArn=ROLE_ARN)
            throttled.append(response["ResponseMetadata"]["RetryAttempts"])
        return names

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = [name for names in pool.map(work, range(8)) for name in names]

    assert sum(throttled) > 0, "the bound was never reached: the test shows nothing"
    sm = make_client(endpoint)
    listed = {i["ImageName"] for page in sm.get_paginator("list_images").paginate() for i in page["Images"]}
    assert listed == set(created), "every call got through once, and no refused attempt left anything"
    with urllib.request.urlopen(f"{endpoint}/metrics") as response:
        metrics = response.read().decode()
    refused = [line for line in metrics.splitlines() if line.startswith("sagemaker_images_requests_throttled_total")]
    assert refused and float(refused[0].split()[-1]) == sum(throttled), metrics
