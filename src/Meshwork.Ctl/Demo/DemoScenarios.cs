namespace Meshwork.Ctl.Demo;

/// <summary>One step of a task: the files it puts in force (samples/bookinfo/config/tasks), the traffic it sends, and what must hold.</summary>
internal sealed record DemoStep(string Title, string Explanation, string[] Files, Batch[] Batches, Func<StepOutcome, string?> Expect)
{
    /// <summary>A base file the step's files take the place of (they define the same resources).</summary>
    public string? Replaces { get; init; }

    /// <summary>A counter read from a proxy before and after the batches (e.g. the mirror's requests), shown with the results.</summary>
    public (string Name, Func<DemoMesh, Task<long>> Read)? Counter { get; init; }
}

/// <summary>One of Istio's tasks on Bookinfo, in steps.</summary>
internal sealed record DemoScenario(string Name, string Title, DemoStep[] Steps);

/// <summary>What a step's traffic got: each batch's result, and the counter's growth.</summary>
internal sealed record StepOutcome(IReadOnlyDictionary<string, BatchResult> Batches, long? CounterDelta)
{
    public BatchResult this[string batch] => Batches[batch];
}

/// <summary>
/// The tour: Istio's tasks (request routing, traffic shifting, fault injection, request timeouts,
/// circuit breaking, mirroring, mutual TLS, authorization) on Bookinfo, with what each step
/// must show. Expectations return null when they hold, else the reason.
/// </summary>
internal static class DemoScenarios
{
    public static IReadOnlyList<DemoScenario> All { get; } =
    [
        new("request-routing", "Request routing", [
            new("All traffic to v1", "Every service's VirtualService routes to v1: nobody sees stars.", ["request-routing-all-v1.yaml"],
                [new("anonymous", 30, 3), new("jason", 20, 2, "jason")],
                o => Only(o["anonymous"], "v1") ?? Only(o["jason"], "v1")),
            new("User jason to v2", "A header match on end-user (productpage sends the signed-in user) sends jason to reviews v2: black stars for him only.", ["request-routing-jason-v2.yaml"],
                [new("anonymous", 30, 3), new("jason", 50, 3, "jason")],
                o => Only(o["anonymous"], "v1") ?? Only(o["jason"], "v2")),
        ]),
        new("traffic-shifting", "Traffic shifting", [
            new("50% v1, 50% v3", "Weighted routes: half of reviews' traffic to v1, half to v3.", ["traffic-shifting-50-v3.yaml"],
                [new("anonymous", 100, 4)],
                o => Only(o["anonymous"], "v1", "v3") ?? Between(o["anonymous"], "v3", 0.3, 0.7)),
            new("100% v3", "All of reviews' traffic to v3: red stars for everyone.", ["traffic-shifting-v3.yaml"],
                [new("anonymous", 40, 4)],
                o => Only(o["anonymous"], "v3")),
        ]),
        new("fault-injection", "Fault injection", [
            new("Ratings 7 s late for jason", "ratings answers jason 7 s late; productpage gives reviews 3 s (tried twice), so jason sees the reviews error; others are untouched.", ["fault-injection-ratings-delay.yaml"],
                [new("anonymous", 20, 4), new("jason", 4, 4, "jason")],
                o => Only(o["anonymous"], "v1") ?? Only(o["jason"], PageView.ReviewsUnavailable)),
            new("Ratings 500 for jason", "ratings aborts jason's calls with 500: his reviews say \"Ratings service is currently unavailable\".", ["fault-injection-ratings-abort.yaml"],
                [new("anonymous", 20, 4), new("jason", 20, 4, "jason")],
                o => Only(o["anonymous"], "v1") ?? Only(o["jason"], PageView.RatingsUnavailable)),
        ]),
        new("timeouts", "Request timeouts", [
            new("Ratings 2 s late", "reviews v2 for everyone, ratings 2 s late: the page is slow but complete (black stars).", ["timeouts-ratings-delay.yaml"],
                [new("anonymous", 8, 4)],
                o => Only(o["anonymous"], "v2")),
            new("Reviews timeout 0.5 s", "Calls to reviews time out after 0.5 s: productpage gets 504 (twice) and shows the reviews error, in about a second instead of two.", ["timeouts-reviews-timeout.yaml"],
                [new("anonymous", 8, 4)],
                o => Only(o["anonymous"], PageView.ReviewsUnavailable)),
        ]),
        new("circuit-breaking", "Circuit breaking", [
            new("One connection to productpage", "maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1 on productpage; 4 concurrent clients through the gateway: the overflow is answered 503 at once, flag UO.", ["circuit-breaking-productpage.yaml"],
                [new("burst", 100, 4)],
                o => Some(o["burst"], "overflow (UO)") ?? Some(o["burst"], "v1", "v2", "v3") ?? (o.CounterDelta is > 0 ? null : "the gateway counted no upstream_rq_pending_overflow for productpage"))
            {
                // What Istio's task reads from the client's proxy: cluster.outbound|9080||productpage...upstream_rq_pending_overflow.
                Replaces = "destination-rule-productpage.yaml",
                Counter = ("gateway's upstream_rq_pending_overflow for productpage", mesh => DemoMesh.CounterAsync(mesh.Gateway, "envoy_cluster_upstream_rq_pending_overflow", "productpage.default.svc.cluster.local")),
            },
        ]),
        new("mirroring", "Mirroring", [
            new("All to v1", "reviews to v1 only: v2 receives nothing.", ["mirroring-v1.yaml"],
                [new("anonymous", 20, 2)],
                o => Only(o["anonymous"], "v1") ?? (o.CounterDelta == 0 ? null : $"reviews v2 received {o.CounterDelta} requests; expected none"))
            {
                Counter = ("requests reviews-v2 received", ReviewsV2Requests),
            },
            new("Mirror v1 to v2", "Every request to reviews v1 is copied to v2 (answers dropped): clients still see v1, v2's request count grows.", ["mirroring-mirror-v2.yaml"],
                [new("anonymous", 20, 2)],
                o => Only(o["anonymous"], "v1") ?? (o.CounterDelta >= 10 ? null : $"reviews v2 received {o.CounterDelta} mirrored requests for 20 pages; expected most of them"))
            {
                Counter = ("requests reviews-v2 received", ReviewsV2Requests),
            },
        ]),
        new("mtls", "Mutual TLS", [
            new("PERMISSIVE (the default)", "Sidecars talk mutual TLS among themselves, and still accept plaintext: a client outside the mesh reaches productpage's pod IP.", [],
                [new("via gateway", 10, 2), new("plaintext to pod IP", 10, 2, Target: m => TrafficProbe.Direct(m, "productpage-v1", "/productpage"))],
                o => AllOk(o["via gateway"]) ?? AllOk(o["plaintext to pod IP"])),
            new("STRICT in namespace default", "PeerAuthentication STRICT: plaintext to a workload's pod IP is refused, traffic through the gateway (mutual TLS) still works.", ["mtls-strict.yaml"],
                [new("via gateway", 10, 2), new("plaintext to pod IP", 10, 2, Target: m => TrafficProbe.Direct(m, "productpage-v1", "/productpage"))],
                o => AllOk(o["via gateway"]) ?? Only(o["plaintext to pod IP"], PageView.Refused)),
        ]),
        new("authorization", "Authorization", [
            new("Allow nothing", "An empty AuthorizationPolicy in namespace default: every workload denies every request; the gateway gets 403 \"RBAC: access denied\".", ["authorization-allow-nothing.yaml"],
                [new("anonymous", 10, 2)],
                o => Only(o["anonymous"], "denied (RBAC)")),
            new("productpage for GET", "productpage may be read (GET) by anyone (Istio's productpage-viewer); details and reviews still deny productpage.", ["authorization-allow-nothing.yaml", "authorization-productpage-viewer.yaml"],
                [new("anonymous", 10, 2)],
                o => Only(o["anonymous"], $"{PageView.DetailsUnavailable}, {PageView.ReviewsUnavailable}")),
            new("details and reviews for GET by productpage", "details and reviews may be read (GET) by productpage's identity (cluster.local/ns/default/sa/bookinfo-productpage, proven by its mesh certificate); ratings still denies reviews.", ["authorization-allow-nothing.yaml", "authorization-productpage-viewer.yaml", "authorization-details-reviews-viewer.yaml"],
                [new("anonymous", 20, 2)],
                o => Only(o["anonymous"], "v1", PageView.RatingsUnavailable) ?? Some(o["anonymous"], PageView.RatingsUnavailable)),
            new("ratings for GET by reviews", "ratings may be read (GET) by reviews' identity (cluster.local/ns/default/sa/bookinfo-reviews): the whole page works again.", ["authorization-allow-nothing.yaml", "authorization-productpage-viewer.yaml", "authorization-details-reviews-viewer.yaml", "authorization-ratings-viewer.yaml"],
                [new("anonymous", 20, 2)],
                o => Only(o["anonymous"], "v1", "v2", "v3")),
        ]),
    ];

    public static DemoScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>Requests reviews v2's sidecar forwarded to its app (its inbound cluster).</summary>
    private static Task<long> ReviewsV2Requests(DemoMesh mesh) => DemoMesh.CounterAsync(mesh.Workload("reviews-v2"), "envoy_cluster_upstream_rq_total", "inbound|9080||");

    /// <summary>Every answer is one of <paramref name="views"/>.</summary>
    private static string? Only(BatchResult result, params string[] views) =>
        result.Done > 0 && result.Views.Keys.All(views.Contains) ? null
            : $"{result.Batch.Name}: expected only {string.Join(" or ", views)}, got {result.ViewsText()}";

    /// <summary>At least one answer is one of <paramref name="views"/>.</summary>
    private static string? Some(BatchResult result, params string[] views) =>
        views.Any(v => result.Count(v) > 0) ? null : $"{result.Batch.Name}: expected some {string.Join(" or ", views)}, got {result.ViewsText()}";

    private static string? Between(BatchResult result, string view, double low, double high) =>
        result.Share(view) >= low && result.Share(view) <= high ? null
            : $"{result.Batch.Name}: {view} answered {result.Share(view):P0}; expected {low:P0}-{high:P0}";

    private static string? AllOk(BatchResult result) =>
        result.Done > 0 && result.Statuses.Keys.All(TrafficProbe.IsOk) ? null
            : $"{result.Batch.Name}: expected only 200, got {result.StatusText()}";
}
