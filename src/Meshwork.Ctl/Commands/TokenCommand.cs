using System.CommandLine;
using Meshwork.Citadel;
using Meshwork.Citadel.Authentication;
using Meshwork.Config.Binding;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl token create --ca-dir DIR --namespace NS --service-account SA [--ttl DURATION]</c>: prints a
/// bootstrap token (JWT signed with the CA's key, audience <c>istio-ca</c>) with which a workload that
/// has no certificate yet proves its service account to meshd's CreateCertificate.
/// </summary>
internal static class TokenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var caDir = new Option<string>("--ca-dir") { Description = "The CA's directory (ca-cert.pem, ca-key.pem, root-cert.pem), as given to meshd.", Required = true };
        var ns = new Option<string>("--namespace", "-n") { Description = "The workload's namespace.", Required = true };
        var sa = new Option<string>("--service-account") { Description = "The workload's service account.", Required = true };
        var ttl = new Option<string>("--ttl") { Description = "How long the token is valid (Go duration: 30m, 1h, 24h).", DefaultValueFactory = _ => "1h" };
        var trustDomain = new Option<string>("--trust-domain") { Description = "meshd's trust domain; the token's issuer names it.", DefaultValueFactory = _ => "cluster.local" };
        var create = new Command("create", "Print a bootstrap token for a service account, signed with the CA's key") { caDir, ns, sa, ttl, trustDomain };
        create.SetAction(parse => Run(parse.GetValue(caDir)!, parse.GetValue(ns)!, parse.GetValue(sa)!, parse.GetValue(ttl)!, parse.GetValue(trustDomain)!, DateTimeOffset.UtcNow, stdout, stderr));
        return new Command("token", "Bootstrap tokens for CreateCertificate") { create };
    }

    internal static int Run(string caDir, string ns, string sa, string ttlText, string trustDomain, DateTimeOffset now, TextWriter stdout, TextWriter stderr)
    {
        string? problem = null;
        if (!WorkloadIdentity.IsName(ns))
        {
            problem = $"--namespace: '{ns}' is not a Kubernetes name (lower-case letters, digits, '-' and '.')";
        }
        else if (!WorkloadIdentity.IsName(sa))
        {
            problem = $"--service-account: '{sa}' is not a Kubernetes name (lower-case letters, digits, '-' and '.')";
        }
        else if (!GoDuration.TryParse(ttlText, out var parsed) || parsed <= TimeSpan.Zero)
        {
            problem = $"--ttl: '{ttlText}' is not a positive duration (e.g. 30m, 1h, 24h)";
        }
        else if (trustDomain.Length == 0 || trustDomain.Contains('/'))
        {
            problem = $"--trust-domain: '{trustDomain}' is not a trust domain";
        }
        else if (!File.Exists(Path.Combine(caDir, CaStore.KeyFile)))
        {
            problem = $"--ca-dir: {Path.Combine(caDir, CaStore.KeyFile)}: missing (the token is signed with the CA's key)";
        }

        if (problem != null)
        {
            stderr.WriteLine($"meshctl: {problem}");
            return CommandLine.Usage;
        }

        GoDuration.TryParse(ttlText, out var lifetime);
        try
        {
            using var ca = CaStore.Load(caDir);
            stdout.WriteLine(BootstrapToken.Create(ca, new WorkloadIdentity(ns, sa), trustDomain, lifetime, now));
            return CommandLine.Ok;
        }
        catch (Exception e) when (e is CaLoadException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            stderr.WriteLine($"meshctl: --ca-dir: {e.Message}");
            return CommandLine.Usage;
        }
    }
}
