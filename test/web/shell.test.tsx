import { useEffect } from "react";
import { navigate, RouterProvider, useRouter } from "../../web/src/router";
import { handledSince, subjectOf } from "../../web/src/notifications/live";
import { elderKey } from "../../web/src/ui/elder";
import { render } from "./render";

afterEach(() => {
  document.body.innerHTML = "";
  window.history.replaceState(null, "", "/");
});

/** What a guard does with a deep link opened signed out: sends it to /login on the first render. */
function Redirecting() {
  const { location } = useRouter();
  useEffect(() => {
    if (location.path === "/instances/42") navigate(`/login?next=${encodeURIComponent(location.href)}`, { replace: true });
  }, [location.path, location.href]);
  return <p data-testid="where">{location.href}</p>;
}

describe("the router", () => {
  test("a move made in a child's effect on the first render (before the router listens) is not lost", async () => {
    window.history.replaceState(null, "", "/instances/42");
    const { container, unmount } = await render(
      <RouterProvider>
        <Redirecting />
      </RouterProvider>,
    );
    expect(window.location.pathname).toBe("/login");
    expect(container.querySelector('[data-testid="where"]')!.textContent).toBe("/login?next=%2Finstances%2F42");
    await unmount();
  });
});

describe("the bell's items", () => {
  test("are named by what their instance's data calls it", () => {
    expect(subjectOf({ projectName: "惠州市某路段照明采购", budget: "1" })).toBe("惠州市某路段照明采购");
    expect(subjectOf({ name: "某单位" })).toBe("某单位");
    expect(subjectOf({ budget: "1" })).toBe("");
  });

  test("are handled once their instance moved on after they were written", () => {
    const item = { createdAt: "2026-12-06T10:00:00.000Z" };
    expect(handledSince(item, { updatedAt: "2026-12-06T09:59:59.900Z" })).toBe(false);
    expect(handledSince(item, { updatedAt: "2026-12-06T10:05:00.000Z" })).toBe(true);
  });
});

test("the elder mode is kept per account, and once for whoever is signed out", () => {
  expect(elderKey("a1")).toBe("gdpc.elder.a1");
  expect(elderKey(null)).toBe("gdpc.elder");
  expect(elderKey("a1")).not.toBe(elderKey("a2"));
});
