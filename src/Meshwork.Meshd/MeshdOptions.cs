using System.Net;

namespace Meshwork.Meshd;

/// <summary>meshd's settings, bound from its flags and checked before anything starts.</summary>
public sealed record MeshdOptions
{
    public IReadOnlyList<string> ConfigDirectories { get; init; } = [];

    /// <summary>ADS over plaintext HTTP/2 (Istio's 15010).</summary>
    public IPEndPoint XdsAddress { get; init; } = new(IPAddress.Loopback, 15010);

    /// <summary>ADS over TLS with meshd's certificate from the mesh CA (Istio's 15012); null when turned off with <c>--secure-address off</c>.</summary>
    public IPEndPoint? SecureAddress { get; init; } = new(IPAddress.Loopback, 15012);

    /// <summary>Where the CA's root lives (Istio's plug-in layout); created on first start.</summary>
    public string CaDirectory { get; init; } = DefaultCaDirectory;

    public static string DefaultCaDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".meshwork", "ca");

    /// <summary><c>/ready</c>, <c>/metrics</c> and <c>/debug/*</c> (Istio's 15014).</summary>
    public IPEndPoint MonitoringAddress { get; init; } = new(IPAddress.Loopback, 15014);

    /// <summary>The Mixer API (istio.mixer.v1 Check/Report over plaintext HTTP/2, Istio's 9091); null (the default) when off.</summary>
    public IPEndPoint? MixerAddress { get; init; }

    public string? MeshConfigFile { get; init; }

    /// <summary>Overrides the mesh config's trust domain when set.</summary>
    public string? TrustDomain { get; init; }

    /// <summary>Parses <c>IP:PORT</c> (<c>[::1]:PORT</c> for IPv6); <c>localhost</c> means 127.0.0.1.</summary>
    public static bool TryParseAddress(string text, out IPEndPoint endpoint, out string? error)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        error = null;
        var candidate = text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text["localhost".Length..] : text;
        if (!IPEndPoint.TryParse(candidate, out var parsed) || !candidate.Contains(':', StringComparison.Ordinal) || candidate.EndsWith(':'))
        {
            error = $"\"{text}\" is not an address of the form IP:PORT";
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
