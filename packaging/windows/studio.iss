; Inno Setup script for Studio's Windows installer (built by packaging/build.py with ISCC.exe).
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\studio /DOutputDir=..\..\dist /DIconFile=studio.ico studio.iss
; A per-user install by default (no administrator rights; the dialog offers all users). The user's settings,
; signing identity and plugins live in %LOCALAPPDATA%\studio, outside the install folder: an update replaces
; the program files and keeps them; uninstalling leaves them too.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6B0B5C2E-6F1A-4C55-9C8E-1E4A7D0C5A11}
AppName=Studio
AppVersion={#AppVersion}
AppPublisher=Studio developers
DefaultDirName={autopf}\Studio
DefaultGroupName=Studio
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=Studio-{#AppVersion}-windows-x86_64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\studiow.exe
Compression=lzma2/fast
SolidCompression=no
ChangesAssociations=yes
WizardStyle=modern
LicenseFile=..\..\LICENSE

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; files of an older version that this one no longer ships
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Studio"; Filename: "{app}\studiow.exe"; Parameters: "gui"
Name: "{autodesktop}\Studio"; Filename: "{app}\studiow.exe"; Parameters: "gui"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the studio command to PATH"; GroupDescription: "Command line:"; Flags: unchecked

[Registry]
; .studio projects open in Studio
Root: HKA; Subkey: "Software\Classes\.studio"; ValueType: string; ValueName: ""; ValueData: "Studio.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Studio.Project"; ValueType: string; ValueName: ""; ValueData: "Studio project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Studio.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\studiow.exe,0"
Root: HKA; Subkey: "Software\Classes\Studio.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\studiow.exe"" gui ""%1"""
; the command line: studio.exe on the user's PATH when chosen
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\studiow.exe"; Parameters: "gui"; Description: "Start Studio"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    Path := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;
