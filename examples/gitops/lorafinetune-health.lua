-- Argo CD health check for kubelora.io/LoraFineTune.
-- Maps status.phase to an Argo CD health status:
--   Pending, Running, Merging -> Progressing
--   Succeeded                 -> Healthy
--   Failed                    -> Degraded
--   Suspended                 -> Suspended
-- A status written for an older generation of the spec is still Progressing: the operator has not
-- looked at the latest edit yet.
local hs = {}
hs.status = "Progressing"
hs.message = "Waiting for the operator to report status"

if obj.status == nil or obj.status.phase == nil then
  return hs
end

local status = obj.status
if obj.metadata ~= nil and obj.metadata.generation ~= nil and status.observedGeneration ~= nil
    and status.observedGeneration < obj.metadata.generation then
  hs.message = "The operator has not yet observed generation " .. obj.metadata.generation
  return hs
end

local phase = status.phase
local message = status.message
if status.progress ~= nil and status.progress.steps ~= nil then
  local progress = "step " .. status.progress.steps
  if status.progress.loss ~= nil then
    progress = progress .. ", loss " .. status.progress.loss
  end
  message = message ~= nil and (message .. " (" .. progress .. ")") or progress
end

if phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Failed" then
  hs.status = "Degraded"
elseif phase == "Suspended" then
  hs.status = "Suspended"
elseif phase == "Pending" or phase == "Running" or phase == "Merging" then
  hs.status = "Progressing"
else
  hs.status = "Unknown"
  message = "Unknown phase " .. phase
end
hs.message = message ~= nil and message or phase
return hs
