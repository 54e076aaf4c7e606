using System.CommandLine;
using System.Globalization;
using System.Net;

namespace Meshwork.Proxy;

/// <summary>mesh-proxy's command line (ARCHITECTURE.md §4); bad flags exit 2 with one line.</summary>
public static class ProxyCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var discovery = new Option<string>("--discovery-address") { Description = "meshd's ADS address (HOST:PORT).", DefaultValueFactory = _ => "127.0.0.1:15010" };
        var workload = new Option<string>("--workload") { Description = "The workload (pod) name.", Required = true };
        var ns = new Option<string>("--namespace") { Description = "The workload's namespace.", DefaultValueFactory = _ => "default" };
        var account = new Option<string>("--service-account") { Description = "The workload's service account.", DefaultValueFactory = _ => "default" };
        var ip = new Option<string>("--ip") { Description = "The workload's address (its own loopback address in local mode).", Required = true };
        var labels = new Option<string>("--labels") { Description = "The workload's labels, k=v,k=v." };
        var role = new Option<string>("--role") { Description = "sidecar or gateway.", DefaultValueFactory = _ => "sidecar" };
        var inbound = new Option<string[]>("--inbound") { Description = "PORT=APP_HOST:APP_PORT: accept on IP:PORT for the app there. Repeatable.", AllowMultipleArgumentsPerToken = false };
        var outbound = new Option<int>("--outbound-port") { Description = "Where the app's HTTP_PROXY requests arrive, on IP.", DefaultValueFactory = _ => 15001 };
        var admin = new Option<int>("--admin-port") { Description = "The admin API, on 127.0.0.1.", DefaultValueFactory = _ => 15000 };
        var status = new Option<int>("--status-port") { Description = "The status port, on IP.", DefaultValueFactory = _ => 15020 };
        var mode = new Option<string>("--xds-mode") { Description = "delta (default; falls back to sotw when meshd lacks it) or sotw.", DefaultValueFactory = _ => "delta" };
        mode.AcceptOnlyFromAmong(["delta", "sotw"]);
        var drain = new Option<string>("--drain-duration") { Description = "How long requests in flight may finish on SIGTERM (e.g. 5s, 500ms).", DefaultValueFactory = _ => "5s" };
        var caAddress = new Option<string>("--ca-address") { Description = "meshd's secure address (HOST:PORT); turns on the certificate agent." };
        var tokenFile = new Option<string>("--token-file") { Description = "The bootstrap token (JWT) file, re-read at every certificate request." };
        var caRoot = new Option<string>("--ca-root-cert") { Description = "The mesh root (PEM) meshd's serving certificate chains to; required with --ca-address." };
        var workloadKey = new Option<string>("--workload-key") { Description = "ecdsa-p256 (default) or rsa-2048.", DefaultValueFactory = _ => "ecdsa-p256" };
        var certTtl = new Option<string>("--cert-ttl") { Description = "The workload certificate validity requested (e.g. 24h, 20s).", DefaultValueFactory = _ => "24h" };
        var trustDomain = new Option<string>("--trust-domain") { Description = "The mesh trust domain of the workload's SPIFFE identity.", DefaultValueFactory = _ => "cluster.local" };
        var sdsSocket = new Option<string>("--sds-socket") { Description = "Serve SDS (default, ROOTCA) on this Unix socket path for an Envoy." };
        var appMetrics = new Option<string>("--app-metrics") { Description = "The app's Prometheus endpoint (e.g. http://127.0.0.1:8080/metrics), merged into the status port's /stats/prometheus." };
        var root = new RootCommand("mesh-proxy: the Meshwork sidecar and gateway, configured only by xDS from meshd")
        {
            discovery, workload, ns, account, ip, labels, role, inbound, outbound, admin, status, mode, drain,
            caAddress, tokenFile, caRoot, workloadKey, certTtl, trustDomain, sdsSocket, appMetrics,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            string? problem = null;
            var options = Bind(parse, discovery, workload, ns, account, ip, labels, role, inbound, outbound, admin, status, ref problem);
            if (options == null)
            {
                await Console.Error.WriteLineAsync($"mesh-proxy: {problem}");
                return 2;
            }

            if (!TryParseDuration(parse.GetValue(drain)!, out var drainDuration))
            {
                await Console.Error.WriteLineAsync($"mesh-proxy: --drain-duration \"{parse.GetValue(drain)}\": expected a duration such as 5s or 500ms");
                return 2;
            }

            var agent = BindAgent(parse.GetValue(caAddress), parse.GetValue(tokenFile), parse.GetValue(caRoot), parse.GetValue(workloadKey)!, parse.GetValue(certTtl)!, parse.GetValue(trustDomain)!, parse.GetValue(sdsSocket), ref problem);
            if (problem != null)
            {
                await Console.Error.WriteLineAsync($"mesh-proxy: {problem}");
                return 2;
            }

            Uri? appMetricsUrl = null;
            if (parse.GetValue(appMetrics) is { } appMetricsText
                && (!Uri.TryCreate(appMetricsText, UriKind.Absolute, out appMetricsUrl) || appMetricsUrl.Scheme is not ("http" or "https")))
            {
                await Console.Error.WriteLineAsync($"mesh-proxy: --app-metrics \"{appMetricsText}\": expected an http:// URL such as http://127.0.0.1:8080/metrics");
                return 2;
            }

            options = options with { AppMetrics = appMetricsUrl, XdsMode = parse.GetValue(mode) == "sotw" ? XdsMode.StateOfTheWorld : XdsMode.Delta, DrainDuration = drainDuration, Agent = agent };
            return await ProxyHost.RunAsync(options, cancellationToken);
        });
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            var oneLine = string.Join(' ', result.Errors[0].Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Console.Error.WriteLineAsync($"mesh-proxy: {oneLine} (see 'mesh-proxy --help')");
            return 2;
        }

        return await result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static ProxyOptions? Bind(
        ParseResult parse, Option<string> discovery, Option<string> workload, Option<string> ns, Option<string> account, Option<string> ip,
        Option<string> labels, Option<string> role, Option<string[]> inbound, Option<int> outbound, Option<int> admin, Option<int> status, ref string? problem)
    {
        if (!IPAddress.TryParse(parse.GetValue(ip), out var address))
        {
            problem = $"--ip \"{parse.GetValue(ip)}\" is not an IP address";
            return null;
        }

        var labelMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (parse.GetValue(labels) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problem = $"--labels: \"{pair}\" is not k=v";
                return null;
            }

            labelMap[pair[..eq]] = pair[(eq + 1)..];
        }

        var roleText = parse.GetValue(role);
        if (roleText is not ("sidecar" or "gateway"))
        {
            problem = $"--role \"{roleText}\": expected sidecar or gateway";
            return null;
        }

        var mappings = new List<InboundPort>();
        foreach (var text in parse.GetValue(inbound) ?? [])
        {
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            var colon = text.LastIndexOf(':');
            if (eq <= 0 || colon < eq || !uint.TryParse(text[..eq], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535
                || !uint.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var appPort) || appPort is 0 or > 65535)
            {
                problem = $"--inbound \"{text}\": expected PORT=APP_HOST:APP_PORT";
                return null;
            }

            mappings.Add(new InboundPort(port, text[(eq + 1)..colon], appPort));
        }

        foreach (var (name, value) in new[] { ("--outbound-port", parse.GetValue(outbound)), ("--admin-port", parse.GetValue(admin)), ("--status-port", parse.GetValue(status)) })
        {
            if (value is < 0 or > 65535)
            {
                problem = $"{name} {value} is not a port";
                return null;
            }
        }

        return new ProxyOptions
        {
            DiscoveryAddress = parse.GetValue(discovery)!,
            Workload = parse.GetValue(workload)!,
            Namespace = parse.GetValue(ns)!,
            ServiceAccount = parse.GetValue(account)!,
            Ip = address,
            Labels = labelMap,
            Role = roleText == "gateway" ? ProxyRole.Gateway : ProxyRole.Sidecar,
            Inbound = mappings,
            OutboundPort = parse.GetValue(outbound),
            AdminPort = parse.GetValue(admin),
            StatusPort = parse.GetValue(status),
        };
    }

    /// <summary>The certificate agent's flags, checked together: null (and no problem) when --ca-address is absent.</summary>
    private static Security.AgentOptions? BindAgent(string? address, string? token, string? rootCert, string key, string ttl, string trustDomain, string? sds, ref string? problem)
    {
        if (address == null)
        {
            var stray = token != null ? "--token-file" : rootCert != null ? "--ca-root-cert" : sds != null ? "--sds-socket" : null;
            problem = stray != null ? $"{stray} needs --ca-address (the certificate agent is off without it)" : null;
            return null;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            problem = $"--ca-address \"{address}\": expected HOST:PORT";
            return null;
        }

        if (rootCert == null)
        {
            problem = "--ca-address needs --ca-root-cert (the mesh root meshd's certificate chains to)";
            return null;
        }

        if (!File.Exists(rootCert))
        {
            problem = $"--ca-root-cert {rootCert}: no such file";
            return null;
        }

        try
        {
            Security.CaClient.LoadRoots(rootCert);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or InvalidOperationException or IOException)
        {
            problem = e is InvalidOperationException ? e.Message : $"--ca-root-cert {rootCert}: {e.Message.Split('\n')[0].Trim()}";
            return null;
        }

        if (token != null && !File.Exists(token))
        {
            problem = $"--token-file {token}: no such file";
            return null;
        }

        if (token == null)
        {
            problem = "--ca-address needs --token-file (the bootstrap token that proves the workload's identity)";
            return null;
        }

        if (key is not ("ecdsa-p256" or "rsa-2048"))
        {
            problem = $"--workload-key \"{key}\": expected ecdsa-p256 or rsa-2048";
            return null;
        }

        if (!TryParseDuration(ttl, out var certTtl, TimeSpan.FromDays(90) + TimeSpan.FromSeconds(1)) || certTtl < TimeSpan.FromSeconds(1))
        {
            problem = $"--cert-ttl \"{ttl}\": expected a duration from 1s to 90 days, such as 24h or 20s";
            return null;
        }

        if (trustDomain.Length == 0 || trustDomain.Contains('/', StringComparison.Ordinal))
        {
            problem = $"--trust-domain \"{trustDomain}\": expected a domain such as cluster.local";
            return null;
        }

        return new Security.AgentOptions
        {
            CaAddress = address,
            RootCertFile = rootCert,
            TokenFile = token,
            KeyType = key == "rsa-2048" ? Security.WorkloadKeyType.Rsa2048 : Security.WorkloadKeyType.EcdsaP256,
            CertTtl = certTtl,
            TrustDomain = trustDomain,
            SdsSocket = sds,
        };
    }

    /// <summary>Go-style durations as Istio writes them: <c>5s</c>, <c>500ms</c>, <c>1m</c>, or plain seconds; below one day unless <paramref name="max"/> says otherwise.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration, TimeSpan? max = null)
    {
        var limit = (max ?? TimeSpan.FromDays(1)).TotalMilliseconds;
        (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), (string.Empty, 1000)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                && value >= 0 && value * scale < limit)
            {
                duration = TimeSpan.FromMilliseconds(value * scale);
                return true;
            }
        }

        duration = default;
        return false;
    }
}
