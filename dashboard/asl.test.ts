import { describe, expect, it } from "vitest";
import { readDefinition } from "../workflows/index.ts";
import { aslGraph, describeChoice, InvalidAslError, litEdges } from "./asl.ts";
import { labelCapacity, type GraphNode } from "./protocol.ts";

const definition = readDefinition("engagement") as { States: Record<string, { Type: string; Branches?: Array<{ States: Record<string, unknown> }> }> };
const graph = aslGraph(definition);
const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
const inside = (child: GraphNode, group: GraphNode) => child.x >= group.x && child.y >= group.y && child.x + child.width <= group.x + group.width && child.y + child.height <= group.y + group.height;

describe("aslGraph", () => {
  it("draws every state of the engagement machine, branch states inside their Parallel state", () => {
    const topLevel = Object.keys(definition.States);
    const branchStates = definition.States.TierUpgrade!.Branches!.flatMap((branch) => Object.keys(branch.States));

    expect(graph.nodes.map((n) => n.id).sort()).toEqual([...topLevel, ...branchStates].sort());
    expect(node("TierUpgrade").group).toBe(true);
    for (const state of branchStates) expect(inside(node(state), node("TierUpgrade")), state).toBe(true);
  });

  it("makes each state's box wide enough for its whole name, as the page fits labels", () => {
    const states = graph.nodes.filter((n) => !n.group);

    expect(states.map((n) => n.label).filter((label) => label.length > 21)).toContain("ApplyPersonalisedOffer");
    for (const state of states) expect(labelCapacity(state.width), state.label).toBeGreaterThanOrEqual(state.label.length);
  });

  it("ranks states top to bottom along the flow and keeps states of one rank apart", () => {
    expect(node("Route").y).toBeLessThan(node("TierUpgrade").y);
    expect(node("TierUpgrade").y + node("TierUpgrade").height).toBeLessThan(node("ScheduleFollowUp").y);
    expect(node("ScheduleFollowUp").y).toBeLessThan(node("Engaged").y);
    expect(node("RecordFailure").y).toBeLessThan(node("EngagementFailed").y);
    const [a, b] = [node("HighValueEngagement"), node("StandardConfirmation")];
    expect(a.y).toBe(b.y);
    expect(a.x + a.width <= b.x || b.x + b.width <= a.x).toBe(true);
  });

  it("labels Choice branches with their conditions and draws Catch edges", () => {
    const labels = Object.fromEntries(graph.edges.filter((e) => e.from === "Route").map((e) => [e.to, e.label]));

    expect(labels).toEqual({ TierUpgrade: "tierChanged = true", HighValueEngagement: "pointsEarned > 500", StandardConfirmation: "otherwise" });
    expect(graph.edges.filter((e) => e.kind === "catch" && e.to === "RecordFailure").map((e) => e.from).sort()).toEqual(
      ["HighValueEngagement", "ScheduleFollowUp", "StandardConfirmation", "TierUpgrade"],
    );
  });

  it("refuses a definition that names a state it does not define", () => {
    expect(() => aslGraph({ StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } })).toThrow(InvalidAslError);
    expect(() => aslGraph({ StartAt: "Missing", States: {} })).toThrow(InvalidAslError);
  });

  it("draws loops and unreachable states instead of hanging or dropping them", () => {
    const looped = aslGraph({
      StartAt: "Poll",
      States: {
        Poll: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:000000000000:function:f", Next: "Done?" },
        "Done?": { Type: "Choice", Choices: [{ Variable: "$.done", BooleanEquals: false, Next: "Poll" }], Default: "End" },
        End: { Type: "Succeed" },
        Orphan: { Type: "Pass", End: true },
      },
    });

    expect(looped.nodes.map((n) => n.id).sort()).toEqual(["Done?", "End", "Orphan", "Poll"]);
    expect(looped.edges.find((e) => e.from === "Done?" && e.to === "Poll")?.label).toBe("done = false");
  });
});

describe("litEdges", () => {
  const lit = (path: string[]) => litEdges(graph, path).map((id) => id.replace(/:.*$/, "").replace(/^.*\]/, ""));

  it("lights the edges a tier-upgrade execution went along, not the ones it skipped", () => {
    const path = ["Route", "TierUpgrade", "SendCongratulations", "UpdateCrmProfile", "ApplyPersonalisedOffer", "ScheduleFollowUp", "Engaged"];

    expect(lit(path).sort()).toEqual(["Route->TierUpgrade", "ScheduleFollowUp->Engaged", "TierUpgrade->ScheduleFollowUp"]);
  });

  it("lights a Catch edge only when the execution took it", () => {
    const path = ["Route", "StandardConfirmation", "RecordFailure", "EngagementFailed"];

    expect(lit(path).sort()).toEqual(["RecordFailure->EngagementFailed", "Route->StandardConfirmation", "StandardConfirmation->RecordFailure"]);
  });
});

describe("describeChoice", () => {
  it("reads the comparison operators and the boolean combinators", () => {
    expect(describeChoice({ Variable: "$.amount", NumericGreaterThanEquals: 100 })).toBe("amount ≥ 100");
    expect(describeChoice({ Variable: "$.tier", StringEquals: "gold" })).toBe('tier = "gold"');
    expect(describeChoice({ And: [{ Variable: "$.a", IsPresent: true }, { Not: { Variable: "$.b", IsNull: true } }] })).toBe("a is present and not (b is null)");
    expect(describeChoice({ Condition: "{% $states.input.x > 1 %}" })).toBe("{% $states.input.x > 1 %}");
  });
});
