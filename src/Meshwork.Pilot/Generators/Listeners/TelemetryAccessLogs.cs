using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.AccessLoggers.Filters.Cel.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;
using Meshwork.Config.Telemetry;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The Telemetry API's access logging for one side of a workload's traffic, as Istio merges it
/// (telemetry.go mergeLogs): the levels that apply (<see cref="Telemetries"/>) are walked from the
/// root namespace to the workload; a level naming providers replaces the set in force (MeshConfig
/// <c>defaultProviders.accessLogging</c> at the start); each entry whose match covers the side sets
/// its providers' filter, or turns them off with <c>disabled</c>. Null when no Telemetry says
/// anything about access logging and no default provider is named: MeshConfig's
/// <c>accessLogFile</c> then applies, as in Istio. Providers: Istio's built-in <c>envoy</c> (stdout,
/// MeshConfig's encoding and format) and <c>envoyFileAccessLog</c> (path, text or JSON labels);
/// a filter expression becomes Envoy's CEL access-log filter.
/// </summary>
internal static class TelemetryAccessLogs
{
    public const string CelFilterName = "envoy.access_loggers.extension_filters.cel";

    /// <summary>Istio's default provider name, always available (a file log to stdout).</summary>
    public const string DefaultProvider = "envoy";

    public static IReadOnlyList<AccessLog>? For(MeshSnapshot snapshot, ProxyNode proxy, WorkloadMode side)
    {
        var applicable = Telemetries.Applicable(snapshot, proxy.Namespace, proxy.Labels).Where(t => t.AccessLogging.Count > 0).ToList();
        var defaults = snapshot.Mesh.DefaultProviders?.AccessLogging ?? default;
        if (applicable.Count == 0 && defaults.Count == 0)
        {
            return null;
        }

        IReadOnlyList<string> scope = [.. defaults];
        var specs = new Dictionary<string, (string? Filter, bool Disabled)>(StringComparer.Ordinal);
        foreach (var telemetry in applicable)
        {
            var named = telemetry.AccessLogging.SelectMany(a => a.Providers).Select(p => p.Name).Distinct(StringComparer.Ordinal).ToList();
            if (named.Count > 0)
            {
                scope = named;
            }

            foreach (var entry in telemetry.AccessLogging.Where(a => Covers(a.Match?.Mode ?? WorkloadMode.ClientAndServer, side)))
            {
                var providers = entry.Providers.Count > 0 ? entry.Providers.Select(p => p.Name).ToList() : scope;
                foreach (var provider in providers)
                {
                    specs[provider] = (entry.Filter is { Expression.Length: > 0 } f ? f.Expression : null, entry.Disabled ?? false);
                }
            }
        }

        var logs = new List<AccessLog>();
        foreach (var name in scope)
        {
            var spec = specs.GetValueOrDefault(name);
            if (!spec.Disabled && Log(snapshot.Mesh, name) is { } log)
            {
                if (spec.Filter != null)
                {
                    log.Filter = new Envoy.Config.Accesslog.V3.AccessLogFilter
                    {
                        ExtensionFilter = new ExtensionFilter { Name = CelFilterName, TypedConfig = Any.Pack(new ExpressionFilter { Expression = spec.Filter }) },
                    };
                }

                logs.Add(log);
            }
        }

        return logs;
    }

    private static bool Covers(WorkloadMode mode, WorkloadMode side) => mode == WorkloadMode.ClientAndServer || mode == side;

    /// <summary>
    /// The file log of a provider; null for a name MeshConfig does not define or a provider kind
    /// other than a file log (OpenTelemetry and gRPC access-log services are not supported; the
    /// Telemetry validation names them).
    /// </summary>
    private static AccessLog? Log(MeshConfig mesh, string name)
    {
        var provider = mesh.ExtensionProviders.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
        if (provider == null)
        {
            return name == DefaultProvider ? AccessLogs.For(mesh with { AccessLogFile = "/dev/stdout" }) : null;
        }

        if (provider.EnvoyFileAccessLog is not { } file)
        {
            return null;
        }

        var format = new SubstitutionFormatString();
        if (file.LogFormat?.Labels is { } labels)
        {
            format.JsonFormat = new Struct();
            foreach (var (key, value) in labels)
            {
                format.JsonFormat.Fields[key] = Value.ForString(value);
            }
        }
        else
        {
            var text = file.LogFormat?.Text is { Length: > 0 } t ? t : AccessLogs.IstioTextFormat;
            format.TextFormatSource = new DataSource { InlineString = text.EndsWith('\n') ? text : text + "\n" };
        }

        return new AccessLog
        {
            Name = AccessLogs.FileLogger,
            TypedConfig = Any.Pack(new FileAccessLog { Path = file.Path.Length > 0 ? file.Path : "/dev/stdout", LogFormat = format }),
        };
    }
}
