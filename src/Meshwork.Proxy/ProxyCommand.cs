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
        var root = new RootCommand("mesh-proxy: the Meshwork sidecar and gateway, configured only by xDS from meshd")
        {
            discovery, workload, ns, account, ip, labels, role, inbound, outbound, admin, status, mode, drain,
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

            options = options with { XdsMode = parse.GetValue(mode) == "sotw" ? XdsMode.StateOfTheWorld : XdsMode.Delta, DrainDuration = drainDuration };
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

    /// <summary>Go-style durations as Istio writes them: <c>5s</c>, <c>500ms</c>, <c>1m</c>, or plain seconds.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), (string.Empty, 1000)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                && value >= 0 && value * scale < TimeSpan.FromDays(1).TotalMilliseconds)
            {
                duration = TimeSpan.FromMilliseconds(value * scale);
                return true;
            }
        }

        duration = default;
        return false;
    }
}
