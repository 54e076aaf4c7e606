using Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using Envoy.Type.Matcher.V3;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Stats;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Authorization;

/// <summary>
/// One <c>envoy.filters.http.ext_authz</c> filter compiled when its listener arrives: which service
/// to ask (an HTTP service on a cluster, or Envoy's gRPC <c>Authorization/Check</c>), what the check
/// carries (allowed request headers, added headers, the body up to a limit), what comes back on
/// allow and deny (header lists), what an error means (status_on_error, failure_mode_allow), when
/// it runs at all (filter_enabled_metadata, which Istio points at the shadow RBAC result), and
/// Envoy's <c>ext_authz.ok/denied/error/disabled/failure_mode_allowed</c> counters.
/// </summary>
internal sealed class ExtAuthzFilter
{
    public const string Name = "envoy.filters.http.ext_authz";

    /// <summary>Envoy's default when the config names no status_on_error.</summary>
    public const int DefaultStatusOnError = StatusCodes.Status403Forbidden;

    private ExtAuthzFilter(string where, ExtAuthz config, StatsStore stats, string managerPrefix)
    {
        var statPrefix = config.StatPrefix.Length > 0 ? "ext_authz." + config.StatPrefix + "." : "ext_authz.";
        Ok = stats.Counter("http", managerPrefix, statPrefix + "ok");
        Denied = stats.Counter("http", managerPrefix, statPrefix + "denied");
        Error = stats.Counter("http", managerPrefix, statPrefix + "error");
        Disabled = stats.Counter("http", managerPrefix, statPrefix + "disabled");
        FailureModeAllowed = stats.Counter("http", managerPrefix, statPrefix + "failure_mode_allowed");
        FailureModeAllow = config.FailureModeAllow;
        StatusOnError = config.StatusOnError is { Code: > 0 } status ? (int)status.Code : DefaultStatusOnError;
        if (config.WithRequestBody is { } body)
        {
            if (body.MaxRequestBytes == 0)
            {
                throw new ProxyConfigException($"{where}.with_request_body.max_request_bytes: must be greater than 0");
            }

            MaxRequestBytes = (int)Math.Min(body.MaxRequestBytes, int.MaxValue - 1);
            AllowPartialMessage = body.AllowPartialMessage;
            PackAsBytes = body.PackAsBytes;
        }

        if (config.FilterEnabled != null || config.DenyAtDisable != null)
        {
            throw new ProxyConfigException($"{where}: filter_enabled and deny_at_disable (runtime switches) are not supported; use filter_enabled_metadata");
        }

        EnabledBy = config.FilterEnabledMetadata is { } gate ? MetadataGate.Compile(gate, where + ".filter_enabled_metadata") : null;
        switch (config.ServicesCase)
        {
            case ExtAuthz.ServicesOneofCase.HttpService:
                var http = config.HttpService;
                if (http.ServerUri is not { Cluster.Length: > 0 } uri)
                {
                    throw new ProxyConfigException($"{where}.http_service.server_uri.cluster: required");
                }

                Cluster = uri.Cluster;
                Timeout = uri.Timeout is { } timeout ? timeout.ToTimeSpan() : TimeSpan.FromMilliseconds(200);
                PathPrefix = http.PathPrefix;
                if (PathPrefix.Length > 0 && PathPrefix[0] != '/')
                {
                    throw new ProxyConfigException($"{where}.http_service.path_prefix: must begin with '/', got \"{PathPrefix}\"");
                }

                var allowed = config.AllowedHeaders ?? http.AuthorizationRequest?.AllowedHeaders;
                AllowedRequestHeaders = HeaderList.Compile(allowed, $"{where}.allowed_headers");
                HeadersToAdd = http.AuthorizationRequest?.HeadersToAdd.Select(h => (h.Key, h.Value)).ToArray() ?? [];
                var response = http.AuthorizationResponse;
                UpstreamHeaders = HeaderList.Compile(response?.AllowedUpstreamHeaders, $"{where}.allowed_upstream_headers");
                UpstreamHeadersToAppend = HeaderList.Compile(response?.AllowedUpstreamHeadersToAppend, $"{where}.allowed_upstream_headers_to_append");
                ClientHeaders = HeaderList.Compile(response?.AllowedClientHeaders, $"{where}.allowed_client_headers");
                ClientHeadersOnSuccess = HeaderList.Compile(response?.AllowedClientHeadersOnSuccess, $"{where}.allowed_client_headers_on_success");
                break;
            case ExtAuthz.ServicesOneofCase.GrpcService:
                if (config.GrpcService.EnvoyGrpc is not { ClusterName.Length: > 0 } grpc)
                {
                    throw new ProxyConfigException($"{where}.grpc_service.envoy_grpc.cluster_name: required (google_grpc is not supported)");
                }

                IsGrpc = true;
                Cluster = grpc.ClusterName;
                Authority = grpc.Authority.Length > 0 ? grpc.Authority : grpc.ClusterName;
                Timeout = config.GrpcService.Timeout is { } grpcTimeout ? grpcTimeout.ToTimeSpan() : TimeSpan.FromMilliseconds(200);
                IncludePeerCertificate = config.IncludePeerCertificate;
                break;
            default:
                throw new ProxyConfigException($"{where}: http_service or grpc_service is required");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        }
    }

    public bool IsGrpc { get; }

    public string Cluster { get; } = string.Empty;

    /// <summary>The gRPC call's :authority (Istio writes the cluster name with '|' replaced).</summary>
    public string Authority { get; } = string.Empty;

    public TimeSpan Timeout { get; }

    public string PathPrefix { get; } = string.Empty;

    public HeaderList? AllowedRequestHeaders { get; }

    public (string Name, string Value)[] HeadersToAdd { get; } = [];

    public HeaderList? UpstreamHeaders { get; }

    public HeaderList? UpstreamHeadersToAppend { get; }

    public HeaderList? ClientHeaders { get; }

    public HeaderList? ClientHeadersOnSuccess { get; }

    public bool FailureModeAllow { get; }

    public int StatusOnError { get; }

    /// <summary>Bytes of request body sent with the check; 0 means none.</summary>
    public int MaxRequestBytes { get; }

    public bool AllowPartialMessage { get; }

    public bool PackAsBytes { get; }

    public bool IncludePeerCertificate { get; }

    /// <summary>The metadata that must match for the filter to run; null: always runs.</summary>
    public MetadataGate? EnabledBy { get; }

    public Counter Ok { get; }

    public Counter Denied { get; }

    public Counter Error { get; }

    public Counter Disabled { get; }

    public Counter FailureModeAllowed { get; }

    public static ExtAuthzFilter Compile(ExtAuthz config, string where, StatsStore stats, string managerPrefix) => new(where, config, stats, managerPrefix);

    /// <summary>Whether a check response header goes back to the client of a denied request: all but Host when no list is set, else the list plus Envoy's always-kept ones.</summary>
    public bool ForwardsToDeniedClient(string name)
    {
        if (ClientHeaders == null)
        {
            return !name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase);
        }

        return ClientHeaders.Matches(name)
            || name.Equals(HeaderNames.WWWAuthenticate, StringComparison.OrdinalIgnoreCase)
            || name.Equals(HeaderNames.Location, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a client request header goes into the HTTP check: the allowed list plus Envoy's Host, Method, Path, Content-Length and Authorization.</summary>
    public bool SendsRequestHeader(string name) =>
        name.Equals(HeaderNames.Authorization, StringComparison.OrdinalIgnoreCase)
        || (AllowedRequestHeaders?.Matches(name) ?? false);
}

/// <summary>Envoy's ListStringMatcher over header names, compiled: a header matches when any pattern does.</summary>
internal sealed class HeaderList
{
    private readonly StringMatch[] _patterns;

    private HeaderList(StringMatch[] patterns) => _patterns = patterns;

    /// <summary>Null when the list is unset (callers apply Envoy's default for that list).</summary>
    public static HeaderList? Compile(ListStringMatcher? list, string where) =>
        list == null ? null : new HeaderList(list.Patterns.Select((p, i) => StringMatch.Compile(p, $"{where}.patterns[{i}]")).ToArray());

    public bool Matches(string name)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.Matches(name))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// filter_enabled_metadata compiled for the only dynamic metadata the HTTP chain writes before
/// ext_authz: the RBAC filter's <c>PREFIX shadow_effective_policy_id</c> and <c>PREFIX shadow_engine_result</c>.
/// Absent metadata fails a string match (and passes when inverted), as in Envoy.
/// </summary>
internal sealed class MetadataGate
{
    private readonly StringMatch? _string;
    private readonly bool? _present;
    private readonly bool _invert;

    private MetadataGate(string key, StringMatch? match, bool? present, bool invert)
    {
        Key = key;
        _string = match;
        _present = present;
        _invert = invert;
    }

    /// <summary>The key under <c>envoy.filters.http.rbac</c> the gate reads.</summary>
    public string Key { get; }

    public static MetadataGate Compile(MetadataMatcher matcher, string where, string rbacFilter = RbacFilter.HttpName)
    {
        if (matcher.Filter != rbacFilter)
        {
            throw new ProxyConfigException($"{where}.filter: only \"{rbacFilter}\" metadata is available, got \"{matcher.Filter}\"");
        }

        if (matcher.Path.Count != 1 || matcher.Path[0].Key.Length == 0)
        {
            throw new ProxyConfigException($"{where}.path: one key is required");
        }

        return matcher.Value?.MatchPatternCase switch
        {
            ValueMatcher.MatchPatternOneofCase.StringMatch => new MetadataGate(matcher.Path[0].Key, StringMatch.Compile(matcher.Value.StringMatch, where + ".value.string_match"), null, matcher.Invert),
            ValueMatcher.MatchPatternOneofCase.PresentMatch => new MetadataGate(matcher.Path[0].Key, null, matcher.Value.PresentMatch, matcher.Invert),
            _ => throw new ProxyConfigException($"{where}.value: a string_match or present_match is required"),
        };
    }

    public bool Matches(string? value)
    {
        var matched = _string != null ? value != null && _string.Matches(value) : (value != null) == _present;
        return matched != _invert;
    }
}
