using Meshwork.Meshd;

return await MeshdCommand.RunAsync(args);
