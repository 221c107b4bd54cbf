"""A person in a real browser: headless Chromium (Debian's) logs in, triggers the DAG with params, sees the job link.

Selenium drives ``/usr/bin/chromium`` through ``/usr/bin/chromedriver``; nothing is downloaded
(``SE_OFFLINE`` keeps Selenium Manager from looking for drivers).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from airflow_batch_gemini.example_dags.gemini_batch_settings import run_folder
from tests.e2e.cluster import ADMIN_USER
from tests.e2e.runs import (
    BUCKET,
    DAG_ID,
    OUTPUT,
    PROMPTS,
    SUBMIT_TASK,
    blob,
    run_path,
    upload_requests,
    wait_run_state,
    xcom,
)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000"]
SCREENSHOT = OUTPUT / "browser-trigger.png"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, quit after the test (a screenshot is kept on failure too)."""
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="gemini-e2e-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.save_screenshot(str(SCREENSHOT))
            driver.quit()


def test_trigger_form_run_and_job_link_in_the_ui(deployment, api, gcs, browser) -> None:
    source = f"gs://{BUCKET}/incoming/from-the-browser.jsonl"
    upload_requests(gcs, source, PROMPTS)
    wait = WebDriverWait(browser, 60)

    browser.get(f"{deployment.api_url}/")
    wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys(ADMIN_USER)
    browser.find_element(By.NAME, "password").send_keys(deployment.password)
    browser.find_element(By.XPATH, "//button[@type='submit']").click()
    wait.until(ec.presence_of_element_located((By.XPATH, "//*[normalize-space()='Dags']")))

    browser.get(f"{deployment.api_url}/dags/{DAG_ID}")
    wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Trigger']"))).click()
    field = wait.until(ec.element_to_be_clickable((By.ID, "element_input_source")))
    field.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    field.send_keys(source)
    # the header's Trigger button opened the form; the form's own Trigger button is the last one
    browser.find_elements(By.XPATH, "//button[normalize-space()='Trigger']")[-1].click()
    wait.until(ec.url_contains("/runs/"))
    run_id = unquote(browser.current_url.split("/runs/", 1)[1].split("/")[0].split("?")[0])

    run = api.get(run_path(run_id))
    assert run["run_type"] == "manual" and run["conf"]["input_source"] == source, "the form's params reached the run"
    assert wait_run_state(api, run_id) == "success"
    succeeded = blob(gcs, f"gs://{BUCKET}/gemini-batch/{run_folder(run_id)}/results/succeeded.jsonl")
    assert succeeded is not None and len(succeeded.download_as_bytes().splitlines()) == len(PROMPTS)

    browser.get(f"{deployment.api_url}/dags/{DAG_ID}/runs/{run_id}/tasks/{SUBMIT_TASK}/details")
    link = wait.until(ec.presence_of_element_located((By.XPATH, "//a[normalize-space()='Vertex AI batch job']")))
    job_id = xcom(api, run_id, "job_name").rsplit("/", 1)[-1]
    assert link.get_attribute("href").startswith("https://console.cloud.google.com/vertex-ai/locations/us-central1/"
                                                 f"batch-predictions/{job_id}?project=")
    wait.until(ec.presence_of_element_located((By.XPATH, "//*[normalize-space()='Success']")))

