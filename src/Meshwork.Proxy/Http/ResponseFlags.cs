using System.Text;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Envoy's response flags: why a request ended as it did. They appear in access logs, in stats and
/// (in a later issue) in Istio's <c>response_flags</c> metric label, with Envoy's short codes.
/// </summary>
[Flags]
public enum ResponseFlags
{
    None = 0,

    /// <summary>UH: no healthy upstream host.</summary>
    NoHealthyUpstream = 1 << 0,

    /// <summary>UF: upstream connection failure.</summary>
    UpstreamConnectionFailure = 1 << 1,

    /// <summary>UO: upstream overflow (circuit breaker).</summary>
    UpstreamOverflow = 1 << 2,

    /// <summary>NR: no route configured.</summary>
    NoRouteFound = 1 << 3,

    /// <summary>URX: the retry or connect-attempt limit was reached.</summary>
    UpstreamRetryLimitExceeded = 1 << 4,

    /// <summary>UT: upstream request timeout.</summary>
    UpstreamRequestTimeout = 1 << 5,

    /// <summary>UC: upstream connection termination.</summary>
    UpstreamConnectionTermination = 1 << 6,

    /// <summary>UR: upstream remote reset.</summary>
    UpstreamRemoteReset = 1 << 7,

    /// <summary>DC: downstream connection termination.</summary>
    DownstreamConnectionTermination = 1 << 8,

    /// <summary>DI: the request was delayed by fault injection.</summary>
    DelayInjected = 1 << 9,

    /// <summary>FI: the request was aborted by fault injection.</summary>
    FaultInjected = 1 << 10,

    /// <summary>NC: the route's cluster is not configured.</summary>
    NoClusterFound = 1 << 11,

    /// <summary>LR: connection local reset.</summary>
    LocalReset = 1 << 12,

    /// <summary>UPE: upstream protocol error.</summary>
    UpstreamProtocolError = 1 << 13,

    /// <summary>DPE: downstream protocol error.</summary>
    DownstreamProtocolError = 1 << 14,

    /// <summary>UAEX: the external authorization service denied the request (or failed, without failure_mode_allow).</summary>
    UnauthorizedExternalService = 1 << 15,
}

public static class ResponseFlagCodes
{
    private static readonly (ResponseFlags Flag, string Code)[] Codes =
    [
        (ResponseFlags.DownstreamConnectionTermination, "DC"),
        (ResponseFlags.LocalReset, "LR"),
        (ResponseFlags.UpstreamConnectionFailure, "UF"),
        (ResponseFlags.UpstreamConnectionTermination, "UC"),
        (ResponseFlags.UpstreamOverflow, "UO"),
        (ResponseFlags.NoRouteFound, "NR"),
        (ResponseFlags.DelayInjected, "DI"),
        (ResponseFlags.FaultInjected, "FI"),
        (ResponseFlags.UpstreamRemoteReset, "UR"),
        (ResponseFlags.UpstreamRetryLimitExceeded, "URX"),
        (ResponseFlags.UpstreamRequestTimeout, "UT"),
        (ResponseFlags.NoHealthyUpstream, "UH"),
        (ResponseFlags.NoClusterFound, "NC"),
        (ResponseFlags.UpstreamProtocolError, "UPE"),
        (ResponseFlags.DownstreamProtocolError, "DPE"),
        (ResponseFlags.UnauthorizedExternalService, "UAEX"),
    ];

    public static IEnumerable<(ResponseFlags Flag, string Code)> All => Codes;

    /// <summary>Envoy's <c>%RESPONSE_FLAGS%</c>: codes joined by commas, or "-" when none.</summary>
    public static string Format(ResponseFlags flags)
    {
        if (flags == ResponseFlags.None)
        {
            return "-";
        }

        var text = new StringBuilder();
        foreach (var (flag, code) in Codes)
        {
            if ((flags & flag) != 0)
            {
                text.Append(text.Length == 0 ? string.Empty : ",").Append(code);
            }
        }

        return text.ToString();
    }
}
