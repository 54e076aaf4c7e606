using System.Collections.Frozen;

namespace Meshwork.Config.Resources;

/// <summary>One kind of Istio resource: its API group, the versions it is served under, and the record its spec binds to.</summary>
public sealed record ResourceKind(string Group, string Kind, Type SpecType, IReadOnlyList<string> Versions)
{
    public bool Serves(string version) => Versions.Contains(version);

    public override string ToString() => Kind;
}

/// <summary>
/// The kinds Meshwork reads. All versions of a kind share one record: Istio's v1alpha3, v1beta1
/// and v1 schemas are the same message under different names.
/// </summary>
public static class ResourceKinds
{
    public const string NetworkingGroup = "networking.istio.io";
    public const string SecurityGroup = "security.istio.io";
    public const string TelemetryGroup = "telemetry.istio.io";
    public const string MixerGroup = "config.istio.io";

    private static readonly string[] NetworkingVersions = ["v1alpha3", "v1beta1", "v1"];
    private static readonly string[] SecurityVersions = ["v1beta1", "v1"];
    private static readonly string[] TelemetryVersions = ["v1alpha1", "v1"];
    private static readonly string[] MixerVersions = ["v1alpha2"];

    public static readonly ResourceKind VirtualService = new(NetworkingGroup, "VirtualService", typeof(Networking.VirtualService), NetworkingVersions);
    public static readonly ResourceKind DestinationRule = new(NetworkingGroup, "DestinationRule", typeof(Networking.DestinationRule), NetworkingVersions);
    public static readonly ResourceKind Gateway = new(NetworkingGroup, "Gateway", typeof(Networking.Gateway), NetworkingVersions);
    public static readonly ResourceKind ServiceEntry = new(NetworkingGroup, "ServiceEntry", typeof(Networking.ServiceEntry), NetworkingVersions);
    public static readonly ResourceKind WorkloadEntry = new(NetworkingGroup, "WorkloadEntry", typeof(Networking.WorkloadEntry), NetworkingVersions);
    public static readonly ResourceKind WorkloadGroup = new(NetworkingGroup, "WorkloadGroup", typeof(Networking.WorkloadGroup), NetworkingVersions);
    public static readonly ResourceKind Sidecar = new(NetworkingGroup, "Sidecar", typeof(Networking.Sidecar), NetworkingVersions);
    public static readonly ResourceKind PeerAuthentication = new(SecurityGroup, "PeerAuthentication", typeof(Security.PeerAuthentication), SecurityVersions);
    public static readonly ResourceKind RequestAuthentication = new(SecurityGroup, "RequestAuthentication", typeof(Security.RequestAuthentication), SecurityVersions);
    public static readonly ResourceKind AuthorizationPolicy = new(SecurityGroup, "AuthorizationPolicy", typeof(Security.AuthorizationPolicy), SecurityVersions);
    public static readonly ResourceKind Telemetry = new(TelemetryGroup, "Telemetry", typeof(Telemetry.Telemetry), TelemetryVersions);

    public static readonly ResourceKind MixerHandler = new(MixerGroup, "handler", typeof(Mixer.Handler), MixerVersions);
    public static readonly ResourceKind MixerInstance = new(MixerGroup, "instance", typeof(Mixer.Instance), MixerVersions);
    public static readonly ResourceKind MixerRule = new(MixerGroup, "rule", typeof(Mixer.Rule), MixerVersions);
    public static readonly ResourceKind AttributeManifest = new(MixerGroup, "attributemanifest", typeof(Mixer.AttributeManifest), MixerVersions);
    public static readonly ResourceKind QuotaSpec = new(MixerGroup, "QuotaSpec", typeof(Mixer.QuotaSpec), MixerVersions);
    public static readonly ResourceKind QuotaSpecBinding = new(MixerGroup, "QuotaSpecBinding", typeof(Mixer.QuotaSpecBinding), MixerVersions);

    /// <summary>
    /// Mixer's older per-adapter and per-template kinds (<c>kind: denier</c>, <c>kind: quota</c>): the spec is the adapter's
    /// params or the template's fields, so it is kept raw and Mixer reads it as a handler or instance of that name.
    /// </summary>
    public static IReadOnlyList<string> MixerAdapterKinds { get; } =
        ["denier", "listchecker", "memquota", "redisquota", "prometheus", "stdio", "kubernetesenv", "circonus", "fluentd", "statsd", "stackdriver", "solarwinds", "opa", "rbac", "noop"];

    public static IReadOnlyList<string> MixerTemplateKinds { get; } =
        ["checknothing", "listentry", "quota", "metric", "logentry", "reportnothing", "tracespan", "kubernetes", "apikey", "authorization", "edge"];

    public static IReadOnlyList<ResourceKind> All { get; } =
    [
        VirtualService, DestinationRule, Gateway, ServiceEntry, WorkloadEntry, WorkloadGroup, Sidecar,
        PeerAuthentication, RequestAuthentication, AuthorizationPolicy, Telemetry,
        MixerHandler, MixerInstance, MixerRule, AttributeManifest, QuotaSpec, QuotaSpecBinding,
        .. MixerAdapterKinds.Concat(MixerTemplateKinds).Select(k => new ResourceKind(MixerGroup, k, typeof(Binding.RawValue), MixerVersions)),
    ];

    private static readonly FrozenDictionary<(string Group, string Kind), ResourceKind> ByGroupKind =
        All.ToFrozenDictionary(k => (k.Group, k.Kind));

    /// <summary>Istio groups whose other kinds (EnvoyFilter, ProxyConfig, WasmPlugin, Mixer's) Meshwork recognises but does not model yet.</summary>
    public static bool IsIstioGroup(string group) => group.EndsWith(".istio.io", StringComparison.Ordinal);

    public static ResourceKind? Find(string group, string kind) => ByGroupKind.GetValueOrDefault((group, kind));
}
