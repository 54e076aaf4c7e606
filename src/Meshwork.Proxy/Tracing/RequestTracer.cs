using System.Globalization;
using Meshwork.Proxy.Http;

namespace Meshwork.Proxy.Tracing;

/// <summary>The span a request is in, kept on the request from <see cref="RequestTracer.Start"/> to <see cref="RequestTracer.Finish"/>.</summary>
internal sealed class ActiveSpan(TracingPlan plan, TraceContext span, TraceContext? upstream, SpanKind kind, DateTimeOffset start)
{
    public TracingPlan Plan { get; } = plan;

    /// <summary>The HCM's span (SERVER on inbound and gateways, CLIENT on sidecar outbound).</summary>
    public TraceContext Span { get; } = span;

    /// <summary>The CLIENT span of the upstream call when the HCM spawns one (gateways), else null.</summary>
    public TraceContext? Upstream { get; } = upstream;

    public SpanKind Kind { get; } = kind;

    public DateTimeOffset Start { get; } = start;

    public bool Sampled => Span.Sampled == true;

    /// <summary>The span's name: the route's decorator operation, or one the downstream proxy propagated.</summary>
    public string? Operation { get; set; }
}

/// <summary>
/// Envoy's HCM tracing for one request. <see cref="Start"/>, once the request id is set: joins the
/// trace the headers carry (else starts one), takes the upstream's sampling decision or makes one
/// (random_sampling, injected randomness), opens this hop's span and writes its context into the
/// request headers the upstream receives. <see cref="Name"/>, after routing: the route's operation.
/// <see cref="Finish"/>, when the request ended: the span with Envoy's and Istio's tags, queued for
/// export when sampled. Unsampled requests still propagate their context (sampled=0).
/// </summary>
internal sealed class RequestTracer(TracerIdentity identity, SpanExporter exporter, TimeProvider time, Func<double> random, Func<ulong> ids)
{
    /// <summary>Envoy's x-envoy-decorator-operation: an egress span's operation, which the next proxy's ingress span takes.</summary>
    public const string DecoratorOperationHeader = "x-envoy-decorator-operation";

    public void Start(HttpContext context, HttpManager manager)
    {
        if (manager.Tracing is not { } plan)
        {
            return;
        }

        var headers = context.Request.Headers;
        var (parent, decision) = TraceHeaders.Extract(headers, plan.Format);
        var sampled = decision ?? random() * 100 < plan.RandomSamplingPercent;
        var (high, low) = parent is { } p ? (p.TraceIdHigh, p.TraceIdLow) : (plan.TraceId128Bit ? NewId() : 0, NewId());
        var span = new TraceContext(high, low, NewId(), parent?.SpanId ?? 0, sampled, parent?.TraceState);
        TraceContext? upstream = plan.SpawnUpstreamSpan ? span with { SpanId = NewId(), ParentId = span.SpanId } : null;
        var kind = manager.Inbound || plan.SpawnUpstreamSpan ? SpanKind.Server : SpanKind.Client;
        var active = new ActiveSpan(plan, span, upstream, kind, time.GetUtcNow());
        if (kind == SpanKind.Server && headers.TryGetValue(DecoratorOperationHeader, out var propagated))
        {
            active.Operation = propagated.Count == 1 && propagated[0] is { Length: > 0 } name ? name : null;
            headers.Remove(DecoratorOperationHeader);
        }

        TraceHeaders.Inject(headers, upstream ?? span, sampled, plan.Format);
        context.Features.Set(active);
    }

    /// <summary>The route's decorator names the span; an egress span passes its name on to the next proxy.</summary>
    public static void Name(HttpContext context, string? operation)
    {
        if (operation == null || context.Features.Get<ActiveSpan>() is not { } active)
        {
            return;
        }

        if (active.Kind == SpanKind.Client)
        {
            context.Request.Headers[DecoratorOperationHeader] = operation;
        }

        active.Operation ??= operation;
    }

    public void Finish(HttpContext context, RequestOutcome outcome, int status, TimeSpan elapsed)
    {
        if (context.Features.Get<ActiveSpan>() is not { Sampled: true } active)
        {
            return;
        }

        var request = context.Request;
        var error = status >= 500 || status == 0;
        var url = Url(request, active.Plan.MaxPathTagLength);
        var statusText = status.ToString(CultureInfo.InvariantCulture);
        var requestId = Header(request.Headers, "x-request-id");
        var tags = new List<KeyValuePair<string, string>>(24)
        {
            new("component", "proxy"),
            new("node_id", identity.NodeId),
            new("zone", identity.Zone),
            new("guid:x-request-id", requestId ?? string.Empty),
            new("http.url", url),
            new("http.method", request.Method),
            new("downstream_cluster", Header(request.Headers, "x-envoy-downstream-service-cluster") ?? "-"),
            new("user_agent", Header(request.Headers, "user-agent") ?? "-"),
            new("http.protocol", request.Protocol),
            new("peer.address", PeerAddress(context)),
            new("request_size", (request.ContentLength ?? 0).ToString(CultureInfo.InvariantCulture)),
            new("response_size", (context.Response.ContentLength ?? 0).ToString(CultureInfo.InvariantCulture)),
            new("response_flags", ResponseFlagCodes.Format(outcome.Flags)),
            new("http.status_code", statusText),
        };
        if (outcome.Cluster is { } cluster)
        {
            tags.Add(new("upstream_cluster", cluster));
            tags.Add(new("upstream_cluster.name", cluster));
        }

        if (error)
        {
            tags.Add(new("error", "true"));
        }

        AddCustomTags(tags, active.Plan, context);
        var name = active.Operation ?? (active.Kind == SpanKind.Server ? "ingress" : "egress " + request.Host.Value);
        exporter.Enqueue(active.Plan, new FinishedSpan { Context = active.Span, Name = name, Kind = active.Kind, Start = active.Start, Duration = elapsed, Tags = tags, Error = error });
        if (active.Upstream is { } upstream)
        {
            exporter.Enqueue(active.Plan, UpstreamSpan(active, upstream, outcome, url, requestId, statusText, error, elapsed, request));
        }
    }

    /// <summary>The router's span of the upstream call (Envoy's spawn_upstream_span): CLIENT, named <c>router CLUSTER egress</c>, a child of the HCM's span.</summary>
    private FinishedSpan UpstreamSpan(ActiveSpan active, TraceContext upstream, RequestOutcome outcome, string url, string? requestId, string status, bool error, TimeSpan elapsed, HttpRequest request)
    {
        var tags = new List<KeyValuePair<string, string>>(12)
        {
            new("component", "proxy"),
            new("node_id", identity.NodeId),
            new("zone", identity.Zone),
            new("guid:x-request-id", requestId ?? string.Empty),
            new("http.url", url),
            new("http.method", request.Method),
            new("http.protocol", request.Protocol),
            new("upstream_address", outcome.UpstreamHost ?? "-"),
            new("upstream_cluster", outcome.Cluster ?? "-"),
            new("upstream_cluster.name", outcome.Cluster ?? "-"),
            new("http.status_code", status),
        };
        if (error)
        {
            tags.Add(new("error", "true"));
        }

        return new FinishedSpan
        {
            Context = upstream,
            Name = $"router {outcome.Cluster ?? "-"} egress",
            Kind = SpanKind.Client,
            Start = active.Start,
            Duration = elapsed,
            Tags = tags,
            Error = error,
        };
    }

    private static void AddCustomTags(List<KeyValuePair<string, string>> tags, TracingPlan plan, HttpContext context)
    {
        foreach (var tag in plan.CustomTags)
        {
            var value = tag.Value
                ?? (tag.RequestHeader != null ? Header(context.Request.Headers, tag.RequestHeader) : Header(context.Response.Headers, tag.ResponseHeader!))
                ?? tag.DefaultValue;
            if (value.Length > 0)
            {
                tags.Add(new(tag.Tag, value));
            }
        }
    }

    /// <summary>Envoy's http.url: scheme (x-forwarded-proto), host and the original path, cut at max_path_tag_length.</summary>
    private static string Url(HttpRequest request, int max)
    {
        var path = Header(request.Headers, "x-envoy-original-path") ?? request.Path.Value + request.QueryString.Value;
        var scheme = Header(request.Headers, "x-forwarded-proto") ?? request.Scheme;
        var url = $"{scheme}://{request.Host.Value}{path}";
        return url.Length > max ? url[..max] : url;
    }

    private static string PeerAddress(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } remote)
        {
            return "-";
        }

        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return new System.Net.IPEndPoint(address, context.Connection.RemotePort).ToString();
    }

    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 && values[0] is { Length: > 0 } value ? values.ToString() : null;

    /// <summary>A non-zero random id (zero means "none" in every format).</summary>
    private ulong NewId()
    {
        ulong id;
        do
        {
            id = ids();
        }
        while (id == 0);
        return id;
    }
}
