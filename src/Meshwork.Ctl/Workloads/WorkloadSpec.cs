using System.Net;

namespace Meshwork.Ctl.Workloads;

/// <summary>
/// One local-mode workload as <c>meshctl run</c> takes it: its identity (name, namespace, service
/// account, labels), the port its service is reached on, the app's command, and the sidecar's
/// settings. <see cref="LocalWorkload"/> starts it.
/// </summary>
internal sealed record WorkloadSpec
{
    /// <summary>The sidecar's outbound port on the pod IP, where the app's HTTP_PROXY points (Istio's 15001).</summary>
    public const int OutboundPort = 15001;

    public required string Name { get; init; }

    public string Namespace { get; init; } = "default";

    public string ServiceAccount { get; init; } = "default";

    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    /// <summary>The workload's service port (the sidecar accepts it on the pod IP); null for a workload that only calls out.</summary>
    public int? Port { get; init; }

    /// <summary>The pod IP; null picks a fresh loopback address.</summary>
    public IPAddress? Ip { get; init; }

    /// <summary>meshd's ADS address.</summary>
    public string Discovery { get; init; } = "127.0.0.1:15010";

    /// <summary>The app and its arguments; empty for a proxy without an app (a gateway).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>More mesh-proxy flags, passed as given (e.g. the certificate agent's).</summary>
    public IReadOnlyList<string> ProxyArgs { get; init; } = [];

    /// <summary>Where the sidecar's output goes: a file path, or "-" for meshctl's stderr with a prefix on every line.</summary>
    public required string ProxyLog { get; init; }

    /// <summary>Where the app's output goes: a file path, or null for meshctl's own stdout and stderr.</summary>
    public string? AppLog { get; init; }

    /// <summary>How long the app waits for its sidecar's first config before it starts anyway.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string LabelText => string.Join(',', Labels.Select(l => $"{l.Key}={l.Value}"));
}
