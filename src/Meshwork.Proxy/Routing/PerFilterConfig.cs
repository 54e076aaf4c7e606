using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using FilterCors = Envoy.Extensions.Filters.Http.Cors.V3.CorsPolicy;
using RouteCors = Envoy.Config.Route.V3.CorsPolicy;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// One level's <c>typed_per_filter_config</c> (route, virtual host or route configuration), read for
/// the two HTTP filters this proxy runs per route: fault and CORS. A value may be wrapped in
/// FilterConfig (<c>disabled</c> turns the filter off from this level down; <c>is_optional</c> lets
/// an unknown filter pass). Config for any other filter is refused, as Envoy refuses config for a
/// filter it does not have.
/// </summary>
internal sealed record PerFilterConfig(HTTPFault? Fault, bool FaultDisabled, CorsPolicy.Level? Cors, bool CorsDisabled)
{
    public const string FaultFilter = "envoy.filters.http.fault";
    public const string CorsFilter = "envoy.filters.http.cors";

    public static PerFilterConfig None { get; } = new(null, false, null, false);

    public bool HasFault => Fault != null || FaultDisabled;

    public bool HasCors => Cors != null || CorsDisabled;

    public static PerFilterConfig Parse(MapField<string, Any> configs, RouteCors? legacyCors, string where)
    {
        HTTPFault? fault = null;
        var faultDisabled = false;
        CorsPolicy.Level? cors = legacyCors != null ? CorsPolicy.Level.From(legacyCors, where) : null;
        var corsDisabled = false;
        foreach (var (name, any) in configs)
        {
            var at = $"{where}: typed_per_filter_config \"{name}\"";
            var config = any;
            var disabled = false;
            var optional = false;
            if (any.Is(FilterConfig.Descriptor))
            {
                var wrapper = any.Unpack<FilterConfig>();
                disabled = wrapper.Disabled;
                optional = wrapper.IsOptional;
                config = wrapper.Config;
            }

            if (name == FaultFilter)
            {
                faultDisabled = disabled;
                fault = disabled || config == null ? null : Unpack<HTTPFault>(config, HTTPFault.Descriptor, at);
            }
            else if (name == CorsFilter)
            {
                corsDisabled = disabled;
                cors = disabled || config == null ? null : CorsPolicy.Level.From(Unpack<FilterCors>(config, FilterCors.Descriptor, at), at);
            }
            else if (!optional && !disabled)
            {
                throw new ProxyConfigException($"{at}: this proxy has no such HTTP filter (only {FaultFilter} and {CorsFilter})");
            }
        }

        return fault == null && cors == null && !faultDisabled && !corsDisabled ? None : new PerFilterConfig(fault, faultDisabled, cors, corsDisabled);
    }

    /// <summary>The most specific level that configures the fault filter decides (disabled there means no fault).</summary>
    public static FaultPolicy? ResolveFault(ReadOnlySpan<PerFilterConfig> mostSpecificFirst, string where)
    {
        foreach (var level in mostSpecificFirst)
        {
            if (level.HasFault)
            {
                return level.Fault == null ? null : FaultPolicy.Compile(level.Fault, where);
            }
        }

        return null;
    }

    /// <summary>CORS merges field by field over the levels, most specific first, down to a level that disables it.</summary>
    public static CorsPolicy? ResolveCors(ReadOnlySpan<PerFilterConfig> mostSpecificFirst)
    {
        var levels = new List<CorsPolicy.Level>();
        foreach (var level in mostSpecificFirst)
        {
            if (level.CorsDisabled)
            {
                break;
            }

            if (level.Cors != null)
            {
                levels.Add(level.Cors);
            }
        }

        return CorsPolicy.Merge(levels);
    }

    private static T Unpack<T>(Any any, Google.Protobuf.Reflection.MessageDescriptor descriptor, string where)
        where T : Google.Protobuf.IMessage, new() =>
        any.Is(descriptor) ? any.Unpack<T>() : throw new ProxyConfigException($"{where}: expected {descriptor.FullName}, got {any.TypeUrl}");
}
