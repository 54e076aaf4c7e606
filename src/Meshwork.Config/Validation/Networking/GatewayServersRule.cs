using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateGateway, gateway-wide part: a Gateway name is a DNS label (its name is used in
/// <c>namespace/name</c> references), it has servers, and port names are unique across servers.
/// </summary>
public sealed class GatewayServersRule : SpecRule<Gateway>
{
    protected override void Check(Gateway spec, RuleContext context)
    {
        var name = context.Resource.Name;
        if (!Checks.IsDns1123Label(name))
        {
            context.Error("metadata.name", $"invalid gateway name \"{name}\": must be a DNS-1123 label (no dots)");
        }

        if (spec.Servers.IsEmpty)
        {
            context.Error("spec.servers", "gateway must have at least one server");
            return;
        }

        var portNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Servers.Count; i++)
        {
            var port = spec.Servers[i].Port;
            if (port != null && !portNames.Add(port.Name))
            {
                context.Error($"spec.servers[{i}].port.name", $"port names in servers must be unique: duplicate name \"{port.Name}\"");
            }
        }
    }
}
