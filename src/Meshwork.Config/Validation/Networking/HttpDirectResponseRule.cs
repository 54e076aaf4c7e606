using System.Text;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Direct responses (validateHTTPDirectResponse): a status from 200 to 600, and a body under 1MB (over
/// 100KB is a warning), since every proxy receives it in its config.
/// </summary>
public sealed class HttpDirectResponseRule : SpecRule<VirtualService>
{
    private const int Kb = 1024;
    private const int Mb = 1024 * Kb;

    protected override void Check(VirtualService spec, RuleContext context)
    {
        for (var i = 0; i < spec.Http.Count; i++)
        {
            if (spec.Http[i].DirectResponse is not { } response)
            {
                continue;
            }

            var path = $"spec.http[{i}].directResponse";
            if (response.Body is { } body)
            {
                var size = body.String != null ? Encoding.UTF8.GetByteCount(body.String) : body.Bytes?.Count ?? 0;
                if (size > Mb)
                {
                    context.Error(path + ".body", $"large direct_responses may impact control plane performance, must be less than 1MB, got {size} bytes");
                }
                else if (size > 100 * Kb)
                {
                    context.Warning(path + ".body", $"large direct_responses may impact control plane performance ({size} bytes)");
                }
            }

            if (response.Status is < 200 or > 600)
            {
                context.Error(path + ".status", $"HTTP status must be in the range 200..600, got {response.Status}");
            }
        }
    }
}
