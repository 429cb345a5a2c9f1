"""Steps a person takes in the console, for the browser tests and scripts/screenshots."""

from __future__ import annotations

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 20


class ConsolePage:
    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def wait(self) -> WebDriverWait[webdriver.Chrome]:
        # A page re-renders what it shows after a change: an element found a moment ago may
        # have been replaced, and is looked up again.
        return WebDriverWait(
            self.driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)
        )

    def find(self, css: str) -> WebElement:
        try:
            found: WebElement = self.wait().until(
                ec.visibility_of_element_located((By.CSS_SELECTOR, css))
            )
        except TimeoutException:
            raise AssertionError(f"{css} never showed; {self.shown()}") from None
        return found

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_appears(self, css: str, text: str) -> WebElement:
        try:
            self.wait().until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        except TimeoutException:
            raise AssertionError(f"{text!r} never appeared in {css}; {self.shown()}") from None
        return self.find(css)

    def shown(self) -> str:
        """What the page shows, for a failing test's message."""
        banner = self.driver.find_element(By.ID, "banner").text
        main = self.driver.find_element(By.ID, "main").text[:600]
        return f"banner: {banner!r}; page: {main!r}"

    def open(self, hash_: str = "") -> None:
        self.driver.get(f"{self.base_url}/console{hash_}")

    def sign_in(self, email: str, password: str) -> None:
        self.open()
        self.find("input[name=email]").send_keys(email)
        self.find("input[name=password]").send_keys(password)
        self.find("form.login button[type=submit]").click()
        self.find("#logout")

    def go(self, hash_: str) -> None:
        """Opens a page of the console by its address, as a person following a link."""
        self.driver.execute_script("location.hash = arguments[0]", hash_)

    def heading(self, text: str) -> None:
        self.text_appears("main h1", text)

    def accept_confirm(self) -> str:
        alert = self.wait().until(ec.alert_is_present())
        text = alert.text
        alert.accept()
        return text
