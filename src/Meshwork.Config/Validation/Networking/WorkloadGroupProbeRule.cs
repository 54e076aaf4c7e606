using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateReadinessProbe: no negative timings or thresholds, and exactly one of httpGet
/// (port, scheme HTTP or HTTPS, header names as Kubernetes allows), tcpSocket (port) or exec (a
/// command). Istio's validator does not handle the grpc method and so rejects it.
/// </summary>
public sealed class WorkloadGroupProbeRule : SpecRule<WorkloadGroup>
{
    private const string Path = "spec.probe";

    protected override void Check(WorkloadGroup spec, RuleContext context)
    {
        if (spec.Probe is not { } probe)
        {
            return;
        }

        NotNegative("periodSeconds", probe.PeriodSeconds, context);
        NotNegative("initialDelaySeconds", probe.InitialDelaySeconds, context);
        NotNegative("timeoutSeconds", probe.TimeoutSeconds, context);
        NotNegative("successThreshold", probe.SuccessThreshold, context);
        NotNegative("failureThreshold", probe.FailureThreshold, context);

        if (probe.HttpGet is { } http)
        {
            CheckHttpGet(http, context);
        }
        else if (probe.TcpSocket is { } tcp)
        {
            if (Checks.Port(tcp.Port) is { } error)
            {
                context.Error($"{Path}.tcpSocket.port", error);
            }
        }
        else if (probe.Exec is { } exec)
        {
            if (exec.Command.IsEmpty)
            {
                context.Error($"{Path}.exec.command", "required: the command to run");
            }
        }
        else if (probe.Grpc != null)
        {
            context.Error($"{Path}.grpc", "health check method grpc is not supported by Istio's validator, use httpGet, tcpSocket or exec");
        }
        else
        {
            context.Error(Path, "a health check method is required: one of httpGet, tcpSocket or exec");
        }
    }

    private static void CheckHttpGet(HttpHealthCheckConfig http, RuleContext context)
    {
        if (Checks.Port(http.Port) is { } error)
        {
            context.Error($"{Path}.httpGet.port", error);
        }

        if (http.Scheme is not ("" or "HTTP" or "HTTPS"))
        {
            context.Error($"{Path}.httpGet.scheme", $"must be one of \"HTTPS\", \"HTTP\", got \"{http.Scheme}\"");
        }

        for (var i = 0; i < http.HttpHeaders.Count; i++)
        {
            var name = http.HttpHeaders[i].Name;
            if (name.Length == 0)
            {
                context.Error($"{Path}.httpGet.httpHeaders[{i}].name", "header name cannot be empty");
            }
            else if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                context.Error($"{Path}.httpGet.httpHeaders[{i}].name", $"header name {name} is not a valid header name (letters, digits and '-' only)");
            }
        }
    }

    private static void NotNegative(string field, int value, RuleContext context)
    {
        if (value < 0)
        {
            context.Error($"{Path}.{field}", $"must not be negative, got {value}");
        }
    }
}
