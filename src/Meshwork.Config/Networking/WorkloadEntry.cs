namespace Meshwork.Config.Networking;

public sealed record WorkloadEntry
{
}
