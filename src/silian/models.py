"""Imports every feature's models so metadata (and Alembic) sees all tables."""

from silian.accounts.models import LoginAttempt, User
from silian.achievements.models import Achievement
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    ContractMilestone,
    ContractPayment,
    Deal,
    DealStep,
    Match,
    MatchFeedback,
)
from silian.chains.models import IndustryChain
from silian.challenges.models import BidScore, Challenge, ChallengeAcceptance, Reviewer
from silian.coordination.models import (
    CommonTechProject,
    Decision,
    FollowUpTask,
    InnovationConsortium,
    InvestmentProject,
    JointMeeting,
    Policy,
    SubsidyApplication,
)
from silian.core.audit import AuditLog
from silian.core.db import Base
from silian.core.idempotency import IdempotencyKey
from silian.demands.models import Bid, Demand
from silian.education.models import (
    Consortium,
    Discipline,
    IndustryCollege,
    Major,
    NamedClass,
    TrainingBase,
)
from silian.events.models import Event, EventEntry, EventRegistration, ExpertScore
from silian.hiring.models import Application, Dispatch, Hire, HireAchievement, Recommendation
from silian.insights.models import FigureDay
from silian.notifications.models import Notification
from silian.organizations.models import Organization
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject

__all__ = [
    "IdempotencyKey",
    "Achievement",
    "Application",
    "Dispatch",
    "Hire",
    "HireAchievement",
    "Recommendation",
    "AuditLog",
    "Base",
    "Bid",
    "BidScore",
    "Broker",
    "Challenge",
    "ChallengeAcceptance",
    "BrokerTraining",
    "CommonTechProject",
    "Consortium",
    "Contract",
    "ContractMilestone",
    "ContractPayment",
    "Deal",
    "DealStep",
    "Decision",
    "Demand",
    "Discipline",
    "Event",
    "EventEntry",
    "EventRegistration",
    "ExpertScore",
    "FigureDay",
    "FollowUpTask",
    "IndustryChain",
    "IndustryCollege",
    "InnovationConsortium",
    "InvestmentProject",
    "JointMeeting",
    "LoginAttempt",
    "Major",
    "Match",
    "MatchFeedback",
    "NamedClass",
    "Notification",
    "Organization",
    "Platform",
    "PlatformService",
    "Policy",
    "Reviewer",
    "SalaryGradeRule",
    "ServiceBooking",
    "SubsidyApplication",
    "Talent",
    "TalentNeed",
    "TalentProject",
    "TrainingBase",
    "User",
]
