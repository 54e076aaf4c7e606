using System.Text.Json;
using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// MeshConfig's access log (<c>accessLogFile</c>, <c>accessLogEncoding</c>, <c>accessLogFormat</c>) as
/// Istio sets it on every HTTP connection manager and tcp_proxy of a proxy: Envoy's file access
/// logger with Istio's default text or JSON format unless a format is given. Off when no file is
/// named, as Istio's default.
/// </summary>
internal static class AccessLogs
{
    public const string FileLogger = "envoy.access_loggers.file";

    /// <summary>Istio's EnvoyTextLogFormat.</summary>
    public const string IstioTextFormat =
        "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% "
        + "%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% "
        + "%BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" "
        + "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% "
        + "%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

    /// <summary>Istio's EnvoyJSONLogFormatIstio, key by key.</summary>
    private static readonly (string Key, string Format)[] IstioJsonFormat =
    [
        ("start_time", "%START_TIME%"), ("route_name", "%ROUTE_NAME%"), ("method", "%REQ(:METHOD)%"),
        ("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"), ("protocol", "%PROTOCOL%"), ("response_code", "%RESPONSE_CODE%"),
        ("response_flags", "%RESPONSE_FLAGS%"), ("response_code_details", "%RESPONSE_CODE_DETAILS%"),
        ("connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%"), ("bytes_received", "%BYTES_RECEIVED%"),
        ("bytes_sent", "%BYTES_SENT%"), ("duration", "%DURATION%"), ("upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"),
        ("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%"), ("user_agent", "%REQ(USER-AGENT)%"), ("request_id", "%REQ(X-REQUEST-ID)%"),
        ("authority", "%REQ(:AUTHORITY)%"), ("upstream_host", "%UPSTREAM_HOST%"), ("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%"),
        ("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%"), ("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%"),
        ("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"), ("requested_server_name", "%REQUESTED_SERVER_NAME%"),
        ("upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%"),
    ];

    /// <summary>The access log MeshConfig asks for, or null when it names no file.</summary>
    public static AccessLog? For(MeshConfig mesh)
    {
        if (mesh.AccessLogFile.Length == 0)
        {
            return null;
        }

        var format = new SubstitutionFormatString();
        if (mesh.AccessLogEncoding == AccessLogEncoding.Json)
        {
            format.JsonFormat = mesh.AccessLogFormat.Length > 0 ? JsonObject(mesh.AccessLogFormat) : IstioJson();
        }
        else
        {
            var text = mesh.AccessLogFormat.Length > 0 ? mesh.AccessLogFormat : IstioTextFormat;
            format.TextFormatSource = new DataSource { InlineString = text.EndsWith('\n') ? text : text + "\n" };
        }

        return new AccessLog { Name = FileLogger, TypedConfig = Any.Pack(new FileAccessLog { Path = mesh.AccessLogFile, LogFormat = format }) };
    }

    /// <summary>Adds <paramref name="logs"/> to every HCM and tcp_proxy of <paramref name="listener"/>.</summary>
    public static void AddTo(Listener listener, IReadOnlyList<AccessLog> logs)
    {
        if (logs.Count == 0)
        {
            return;
        }

        foreach (var filter in listener.FilterChains.SelectMany(c => c.Filters).Append(listener.DefaultFilterChain?.Filters.FirstOrDefault()).OfType<Filter>())
        {
            if (filter.TypedConfig?.TryUnpack<HttpConnectionManager>(out var manager) == true)
            {
                manager.AccessLog.Add(logs);
                filter.TypedConfig = Any.Pack(manager);
            }
            else if (filter.TypedConfig?.TryUnpack<TcpProxy>(out var tcp) == true)
            {
                tcp.AccessLog.Add(logs);
                filter.TypedConfig = Any.Pack(tcp);
            }
        }

        if (listener.ApiListener?.ApiListener_?.TryUnpack<HttpConnectionManager>(out var api) == true)
        {
            api.AccessLog.Add(logs);
            listener.ApiListener.ApiListener_ = Any.Pack(api);
        }
    }

    private static Struct IstioJson()
    {
        var json = new Struct();
        foreach (var (key, value) in IstioJsonFormat)
        {
            json.Fields[key] = Value.ForString(value);
        }

        return json;
    }

    /// <summary>A user's JSON format: an object of format strings (MeshConfig validation rejects anything else).</summary>
    private static Struct JsonObject(string format)
    {
        var json = new Struct();
        using var document = JsonDocument.Parse(format);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            json.Fields[property.Name] = Value.ForString(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText());
        }

        return json;
    }
}
