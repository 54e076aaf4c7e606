using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.WorkloadGroup: the template VMs bootstrap from and the WorkloadEntries generated for them.</summary>
public sealed record WorkloadGroup
{
    public WorkloadGroupObjectMeta? Metadata { get; init; }

    /// <summary>Required; <c>address</c> and <c>labels</c> belong to each entry and <see cref="Metadata"/>, not here.</summary>
    public WorkloadEntry? Template { get; init; }

    public ReadinessProbe? Probe { get; init; }
}

/// <summary>WorkloadGroup.ObjectMeta: labels and annotations copied onto every generated WorkloadEntry.</summary>
public sealed record WorkloadGroupObjectMeta
{
    public ValueMap<string, string> Labels { get; init; }

    public ValueMap<string, string> Annotations { get; init; }
}

/// <summary>istio.networking.v1alpha3.ReadinessProbe: a Kubernetes-style readiness check the VM's agent runs.</summary>
public sealed record ReadinessProbe
{
    public int InitialDelaySeconds { get; init; }

    public int TimeoutSeconds { get; init; }

    public int PeriodSeconds { get; init; }

    public int SuccessThreshold { get; init; }

    public int FailureThreshold { get; init; }

    [OneOf("healthCheckMethod")]
    public HttpHealthCheckConfig? HttpGet { get; init; }

    [OneOf("healthCheckMethod")]
    public TcpHealthCheckConfig? TcpSocket { get; init; }

    [OneOf("healthCheckMethod")]
    public ExecHealthCheckConfig? Exec { get; init; }

    [OneOf("healthCheckMethod")]
    public GrpcHealthCheckConfig? Grpc { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPHealthCheckConfig.</summary>
public sealed record HttpHealthCheckConfig
{
    public string Path { get; init; } = string.Empty;

    public uint Port { get; init; }

    public string Host { get; init; } = string.Empty;

    /// <summary><c>HTTP</c> (the default) or <c>HTTPS</c>.</summary>
    public string Scheme { get; init; } = string.Empty;

    public ValueList<ProbeHttpHeader> HttpHeaders { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPHeader: a header an HTTP readiness probe sends.</summary>
public sealed record ProbeHttpHeader
{
    public string Name { get; init; } = string.Empty;

    public string Value { get; init; } = string.Empty;
}

/// <summary>istio.networking.v1alpha3.TCPHealthCheckConfig.</summary>
public sealed record TcpHealthCheckConfig
{
    public string Host { get; init; } = string.Empty;

    public uint Port { get; init; }
}

/// <summary>istio.networking.v1alpha3.ExecHealthCheckConfig.</summary>
public sealed record ExecHealthCheckConfig
{
    public ValueList<string> Command { get; init; }
}

/// <summary>istio.networking.v1alpha3.GrpcHealthCheckConfig.</summary>
public sealed record GrpcHealthCheckConfig
{
    public uint Port { get; init; }

    public string Service { get; init; } = string.Empty;
}
