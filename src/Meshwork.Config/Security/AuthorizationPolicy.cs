using Meshwork.Config.Binding;
using Meshwork.Config.Types;
using Meshwork.Config.Values;

namespace Meshwork.Config.Security;

/// <summary>istio.security.v1beta1.AuthorizationPolicy: allow, deny, audit or delegate (CUSTOM) requests that match its rules.</summary>
public sealed record AuthorizationPolicy
{
    public WorkloadSelector? Selector { get; init; }

    public PolicyTargetReference? TargetRef { get; init; }

    public ValueList<PolicyTargetReference> TargetRefs { get; init; }

    /// <summary>Unset means the policy never matches (for ALLOW: deny everything in scope).</summary>
    public ValueList<AuthorizationRule> Rules { get; init; }

    public AuthorizationAction Action { get; init; }

    /// <summary>The external authorizer (a MeshConfig extension provider) of a CUSTOM policy.</summary>
    [OneOf("actionDetail")]
    public ExtensionProvider? Provider { get; init; }
}

/// <summary>AuthorizationPolicy.Action.</summary>
public enum AuthorizationAction
{
    Allow = 0,
    Deny = 1,
    Audit = 2,
    Custom = 3,
}

/// <summary>AuthorizationPolicy.ExtensionProvider.</summary>
public sealed record ExtensionProvider
{
    public string Name { get; init; } = string.Empty;
}

/// <summary>istio.security.v1beta1.Rule: matches when one source, one operation and every condition match. An empty rule always matches.</summary>
public sealed record AuthorizationRule
{
    public ValueList<RuleFrom> From { get; init; }

    public ValueList<RuleTo> To { get; init; }

    public ValueList<Condition> When { get; init; }
}

/// <summary>Rule.From.</summary>
public sealed record RuleFrom
{
    public Source? Source { get; init; }
}

/// <summary>Rule.To.</summary>
public sealed record RuleTo
{
    public Operation? Operation { get; init; }
}

/// <summary>istio.security.v1beta1.Source: who sent the request. Fields are ANDed; each list matches any of its values.</summary>
public sealed record Source
{
    public ValueList<string> Principals { get; init; }

    public ValueList<string> NotPrincipals { get; init; }

    public ValueList<string> RequestPrincipals { get; init; }

    public ValueList<string> NotRequestPrincipals { get; init; }

    public ValueList<string> Namespaces { get; init; }

    public ValueList<string> NotNamespaces { get; init; }

    public ValueList<string> IpBlocks { get; init; }

    public ValueList<string> NotIpBlocks { get; init; }

    public ValueList<string> RemoteIpBlocks { get; init; }

    public ValueList<string> NotRemoteIpBlocks { get; init; }

    /// <summary><c>serviceAccount</c> or <c>namespace/serviceAccount</c>; not combinable with principals or namespaces.</summary>
    public ValueList<string> ServiceAccounts { get; init; }

    public ValueList<string> NotServiceAccounts { get; init; }
}

/// <summary>istio.security.v1beta1.Operation: what the request does. Fields are ANDed.</summary>
public sealed record Operation
{
    public ValueList<string> Hosts { get; init; }

    public ValueList<string> NotHosts { get; init; }

    public ValueList<string> Ports { get; init; }

    public ValueList<string> NotPorts { get; init; }

    public ValueList<string> Methods { get; init; }

    public ValueList<string> NotMethods { get; init; }

    public ValueList<string> Paths { get; init; }

    public ValueList<string> NotPaths { get; init; }
}

/// <summary>istio.security.v1beta1.Condition: an attribute (<c>request.auth.claims[iss]</c>, <c>source.ip</c>, ...) and the values it must or must not have.</summary>
public sealed record Condition
{
    public string Key { get; init; } = string.Empty;

    public ValueList<string> Values { get; init; }

    public ValueList<string> NotValues { get; init; }
}
