using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Adapters;

/// <summary>
/// Istio's denier: every check fails with the configured status (FAILED_PRECONDITION by default), and the caller may
/// reuse that answer for validDuration (5s) or validUseCount (1000) requests.
/// </summary>
public sealed class DenierAdapter(string name, CheckResult result) : ICheckAdapter
{
    public string Name { get; } = name;

    public static DenierAdapter Create(string name, ParamsNode p)
    {
        p.AllowOnly("status", "validDuration", "validUseCount");
        var status = p["status"];
        status.AllowOnly("code", "message", "details");
        var code = (int)status["code"].Long(StatusCodes.FailedPrecondition);
        if (code is < 0 or > 16)
        {
            throw status["code"].Error($"expected a google.rpc.Code (0-16), got {code}");
        }

        var useCount = p["validUseCount"].Long(1000);
        return new DenierAdapter(name, new CheckResult(code, status["message"].String() ?? string.Empty, p["validDuration"].Duration(TimeSpan.FromSeconds(5)), (int)Math.Clamp(useCount, 0, int.MaxValue)));
    }

    public CheckResult Check(InstanceValue instance) => result;
}
