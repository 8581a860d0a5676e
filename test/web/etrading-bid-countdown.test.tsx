/**
 * The bid deadline's countdown runs on the server's clock (tender.opening.atDeadline is server
 * time): a browser whose clock is an hour slow still shows what is left by the server's, and says
 * the deadline has passed when the server's clock reaches it.
 */
import { act } from "react";
import { BidCountdown } from "../../web/src/etrading/bid-countdown";
import { render } from "./render";

describe("bid countdown", () => {
  afterEach(() => jest.useRealTimers());

  it("counts by the server's time, not the browser's, and says when the deadline has passed", async () => {
    jest.useFakeTimers({ now: new Date("2027-03-01T01:00:00.000Z") });
    // the server says it is 02:00; this browser thinks 01:00
    const serverTime = "2027-03-01T02:00:00.000Z";
    const deadline = "2027-03-01T02:01:30.000Z";
    let passed = 0;
    const view = await render(<BidCountdown deadline={deadline} serverTime={serverTime} onPassed={() => passed++} />);
    const timer = () => view.container.querySelector('[role="timer"]')!.textContent;
    expect(timer()).toBe("距截止还有 0 天 00:01:30");
    expect(view.container.textContent).toContain("投标截止时间：2027-03-01 10:01（北京时间）");
    await act(async () => {
      jest.advanceTimersByTime(60_000);
    });
    expect(timer()).toBe("距截止还有 0 天 00:00:30");
    expect(passed).toBe(0);
    await act(async () => {
      jest.advanceTimersByTime(30_000);
    });
    expect(timer()).toBe("投标已截止，不再接收、修改或撤回投标文件");
    expect(passed).toBe(1);
    await view.unmount();
  });

  it("reads in English", async () => {
    jest.useFakeTimers({ now: new Date("2027-03-01T02:00:00.000Z") });
    const view = await render(<BidCountdown deadline="2027-03-03T02:00:05.000Z" serverTime="2027-03-01T02:00:00.000Z" />, "en");
    expect(view.container.querySelector('[role="timer"]')!.getAttribute("aria-label")).toBe("Time left until the bid deadline");
    expect(view.container.querySelector('[role="timer"]')!.textContent).toBe("2 days 00:00:05 left");
    await view.unmount();
  });
});
