// The Bashoutter page in headless Chromium (Debian's, driven by playwright-core; no
// browser download), against the local mode that browser_test.go starts. The page and
// the API are on different origins, so CORS is exercised as on CloudFront + API Gateway.
//
// Env: SITE_URL (the page at http://127.0.0.1:<port>), LOCALHOST_URL (the same page at
// http://localhost:<port>, the name many learners type), CHROMIUM_PATH, SCREENSHOT
// (where to write the PNG).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

// playwright-core is installed in testtools/node_modules (test-only packages), which an
// ES import does not search; require() does, through NODE_PATH that the Go test sets.
const { chromium } = createRequire(import.meta.url)("playwright-core");

const site = process.env.SITE_URL;
const localhostSite = process.env.LOCALHOST_URL;
const timeout = 15000;

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

// newPage opens a page that records page errors and console errors (a CORS refusal is
// one) in problems, except Chromium's line for each 400 answer when allow400 is set.
async function newPage(browser, problems, allow400) {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !(allow400 && /status of 400 \(Bad Request\)/.test(m.text()))) problems.push("console: " + m.text());
  });
  return page;
}

async function post(page, lines, username) {
  const form = page.locator("#post-form");
  await form.getByLabel("First line").fill(lines[0]);
  await form.getByLabel("Second line").fill(lines[1]);
  await form.getByLabel("Third line").fill(lines[2]);
  await form.getByLabel("Your name").fill(username);
  await form.getByRole("button", { name: "Post" }).click();
}

function card(page, text) {
  return page.locator("[data-testid=haiku]").filter({ hasText: text });
}

test("post, list, like, delete, and a bad post in Chromium", async () => {
  assert.ok(site, "SITE_URL is not set: run this through go test ./handson/bashoutter/local");
  const browser = await launch();
  try {
    const problems = [];
    // Chromium logs every non-2xx fetch; the two bad posts below are meant to get 400.
    const page = await newPage(browser, problems, true);

    await page.goto(site);
    await page.locator("body[data-ready=true]").waitFor();
    await page.locator("#empty").waitFor({ state: "visible" });

    // Post a haiku: it is listed, with no likes.
    await post(page, ["古池や", "蛙飛び込む", "水の音"], "松尾芭蕉");
    const furuike = card(page, "蛙飛び込む");
    await furuike.waitFor();
    assert.equal(await furuike.locator(".username").textContent(), "— 松尾芭蕉");
    assert.equal(await furuike.getByTestId("likes").textContent(), "0");
    assert.equal(await page.locator("#post-form input[name=first]").inputValue(), "", "the form is cleared after posting");
    assert.ok(await page.locator("#empty").isHidden());

    // Like it twice: the count goes up each time.
    await furuike.getByRole("button", { name: "Like" }).click();
    await furuike.getByTestId("likes").filter({ hasText: /^1$/ }).waitFor();
    await furuike.getByRole("button", { name: "Like" }).click();
    await furuike.getByTestId("likes").filter({ hasText: /^2$/ }).waitFor();

    // A second haiku comes first (newest first).
    await post(page, ["閑さや", "岩にしみ入る", "蝉の声"], "芭蕉");
    await card(page, "岩にしみ入る").waitFor();
    const order = await page.locator("[data-testid=haiku] .second").allTextContents();
    assert.deepEqual(order, ["岩にしみ入る", "蛙飛び込む"]);
    // Likes survive a reload (they are in DynamoDB, not only on the page).
    await page.reload();
    await card(page, "蛙飛び込む").getByTestId("likes").filter({ hasText: /^2$/ }).waitFor();

    // A bad post shows the API's message and stores nothing.
    await post(page, ["柿くへば", "", "法隆寺"], "正岡子規");
    const error = page.locator("#error");
    await error.filter({ hasText: "second is missing or empty" }).waitFor();
    await post(page, ["あ".repeat(65), "い", "う"], "x");
    await error.filter({ hasText: "first is 65 characters long" }).waitFor();
    assert.equal(await page.locator("[data-testid=haiku]").count(), 2);

    // Delete the second: it is gone, also after a reload; the error box clears.
    const shizukasa = card(page, "岩にしみ入る");
    await shizukasa.getByRole("button", { name: "Delete" }).click();
    await shizukasa.waitFor({ state: "detached" });
    assert.ok(await error.isHidden());
    await page.reload();
    await card(page, "蛙飛び込む").waitFor();
    assert.equal(await card(page, "岩にしみ入る").count(), 0);

    // Issue 14: an emoji ZWJ sequence (man, woman, girl joined by U+200D) is accepted
    // and shown as the same characters; a bidi override is refused by the page with
    // the API's message, naming the character and its position.
    const family = "古池や\u{1F468}\u200d\u{1F469}\u200d\u{1F467}";
    await post(page, [family, "蛙飛び込む", "水の音"], "芭蕉");
    const emojiCard = page.locator("[data-testid=haiku]").filter({ has: page.locator(".username", { hasText: /^— 芭蕉$/ }) });
    await emojiCard.waitFor();
    assert.equal(await emojiCard.locator(".first").textContent(), family);
    assert.equal(await emojiCard.locator(".third").textContent(), "水の音");
    assert.ok(await error.isHidden());
    await post(page, ["古池\u202eや", "蛙", "音"], "x");
    await error.filter({ hasText: "first: character 3, U+202E RIGHT-TO-LEFT OVERRIDE (bidi, Cf), is not allowed" }).waitFor();
    await page.reload();
    assert.equal(await page.locator("[data-testid=haiku]").filter({ has: page.locator(".username", { hasText: /^— 芭蕉$/ }) }).locator(".first").textContent(), family);

    // The picture for the README: one more haiku, then the page as a learner sees it.
    await post(page, ["菜の花や", "月は東に", "日は西に"], "与謝蕪村");
    await card(page, "月は東に").waitFor();
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });

    assert.deepEqual(problems, [], "the page logged errors");
  } finally {
    await browser.close();
  }
});

// The page opened at http://localhost:<port> (not 127.0.0.1): its origin differs, and
// the API must accept it too. Runs after the test above, so that haiku are listed.
test("the page opened at localhost posts and lists", async () => {
  assert.ok(localhostSite, "LOCALHOST_URL is not set: run this through go test ./handson/bashoutter/local");
  assert.match(localhostSite, /^http:\/\/localhost:\d+$/);
  const browser = await launch();
  try {
    const problems = [];
    const page = await newPage(browser, problems, false);
    await page.goto(localhostSite);
    assert.equal(new URL(page.url()).hostname, "localhost");
    await page.locator("body[data-ready=true]").waitFor();
    // The list was read through the API: the haiku of the test above are there.
    await card(page, "月は東に").waitFor();
    await post(page, ["夏草や", "兵どもが", "夢の跡"], "松尾芭蕉");
    await card(page, "兵どもが").waitFor();
    await page.reload();
    await card(page, "兵どもが").waitFor();
    const order = await page.locator("[data-testid=haiku] .second").allTextContents();
    assert.deepEqual(order, ["兵どもが", "月は東に", "蛙飛び込む", "蛙飛び込む"]);
    assert.ok(await page.locator("#error").isHidden(), "the page shows an error");
    assert.deepEqual(problems, [], "the page logged errors (a CORS refusal is one)");
  } finally {
    await browser.close();
  }
});
