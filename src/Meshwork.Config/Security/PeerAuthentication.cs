using Meshwork.Config.Types;
using Meshwork.Config.Values;

namespace Meshwork.Config.Security;

/// <summary>istio.security.v1beta1.PeerAuthentication: whether workloads accept plaintext, mTLS or both.</summary>
public sealed record PeerAuthentication
{
    /// <summary>Workloads the policy applies to; unset means the whole namespace (or mesh, in the root namespace).</summary>
    public WorkloadSelector? Selector { get; init; }

    public MutualTls? Mtls { get; init; }

    /// <summary>Per container port overrides; Istio accepts them only with a non-empty selector.</summary>
    public ValueMap<uint, MutualTls> PortLevelMtls { get; init; }

    /// <summary>Per container port TLS termination settings.</summary>
    public ValueMap<uint, Networking.ServerTlsSettings> PortLevelTls { get; init; }
}

/// <summary>PeerAuthentication.MutualTLS.</summary>
public sealed record MutualTls
{
    public MutualTlsMode Mode { get; init; }
}

/// <summary>PeerAuthentication.MutualTLS.Mode.</summary>
public enum MutualTlsMode
{
    /// <summary>Inherit from the parent; with no parent, PERMISSIVE.</summary>
    Unset = 0,
    Disable = 1,
    Permissive = 2,
    Strict = 3,
}
